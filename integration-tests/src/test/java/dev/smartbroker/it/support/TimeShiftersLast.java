package dev.smartbroker.it.support;

import java.util.Comparator;

import org.junit.jupiter.api.ClassOrderer;
import org.junit.jupiter.api.ClassOrdererContext;

/**
 * The integration tests' class order (set in integration-tests/pom.xml): classes annotated {@link ShiftsTime} after
 * all others, every class otherwise in the order Failsafe gives.
 */
public final class TimeShiftersLast implements ClassOrderer {

    @Override
    public void orderClasses(ClassOrdererContext context) {
        // List.sort is stable.
        context.getClassDescriptors().sort(Comparator.comparing(c -> c.isAnnotated(ShiftsTime.class)));
    }
}
