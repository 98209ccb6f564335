package dev.smartbroker.simulator;

/** Minimal, escaped HTML for the simulator's pages. */
final class Html {

    private Html() {
    }

    static String esc(String value) {
        if (value == null) {
            return "";
        }
        StringBuilder out = new StringBuilder(value.length() + 16);
        for (char c : value.toCharArray()) {
            switch (c) {
                case '<' -> out.append("&lt;");
                case '>' -> out.append("&gt;");
                case '&' -> out.append("&amp;");
                case '"' -> out.append("&quot;");
                case '\'' -> out.append("&#39;");
                default -> out.append(c);
            }
        }
        return out.toString();
    }

    /** A page in the simulator's look: a dark EHR-style title bar and a content box. */
    static String page(String title, String body) {
        return "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>" + esc(title) + "</title>"
                + "<style>body{font-family:Segoe UI,Arial,sans-serif;margin:0;background:#f3f5f7;color:#1d2733}"
                + "header{background:#1f3b57;color:#fff;padding:.6rem 1rem;font-weight:600}"
                + "header small{font-weight:400;opacity:.8;margin-left:1rem}"
                + "main{max-width:60rem;margin:1rem auto;background:#fff;border:1px solid #cdd5de;padding:1rem 1.5rem}"
                + "table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #e1e6ec;padding:.4rem;text-align:left}"
                + "label{display:block;margin:.5rem 0 .2rem}input[type=text],input[type=password],select{padding:.35rem;min-width:18rem}"
                + "button{padding:.4rem 1rem;margin:.6rem .4rem 0 0}.error{color:#a4000f}.muted{color:#5a6878}</style></head><body>"
                + "<header>Cerner Millennium <small>simulated sandbox, not a real EHR</small></header><main>" + body + "</main></body></html>";
    }
}
