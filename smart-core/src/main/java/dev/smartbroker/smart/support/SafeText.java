package dev.smartbroker.smart.support;

/**
 * Caller-supplied text on its way into a log line, an event detail or an error description: bounded in length and
 * stripped of control characters, so that a hostile request can neither flood the log and the event store nor forge
 * log lines. Markup is not this class's business: pages escape everything they print.
 */
public final class SafeText {

    /** Default bound for identifiers and codes (client ids, aliases, OAuth2 error codes). */
    public static final int SHORT = 100;
    /** Bound for URLs and scope lists. */
    public static final int LONG = 300;

    private SafeText() {
    }

    /** {@code value} with control characters replaced by '?', cut to {@code max} characters (marked with '…'). */
    public static String bounded(String value, int max) {
        if (value == null) {
            return null;
        }
        int limit = Math.min(value.length(), max);
        StringBuilder out = new StringBuilder(limit + 1);
        for (int i = 0; i < limit; i++) {
            char c = value.charAt(i);
            out.append(Character.isISOControl(c) || c == '\u2028' || c == '\u2029' ? '?' : c);
        }
        if (value.length() > max) {
            out.append('…');
        }
        return out.toString();
    }

    public static String bounded(String value) {
        return bounded(value, SHORT);
    }
}
