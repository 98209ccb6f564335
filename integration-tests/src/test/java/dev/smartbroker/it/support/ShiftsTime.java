package dev.smartbroker.it.support;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Marks a test class that moves time with {@link Clocks} (only such classes may). They run after every other class
 * ({@link TimeShiftersLast}): what happens while time is shifted keeps its shifted time stamps, which tests that
 * select by this JVM's clock would otherwise pick up.
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.TYPE)
public @interface ShiftsTime {
}
