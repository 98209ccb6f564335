package dev.smartbroker.simulator;

import java.io.IOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A PowerChart-like patient list: pick a tenant, a patient (with the open encounter) and a registered app with a
 * SMART Launch URI, launch. The launch opens the app's Launch URI with {@code iss} and an opaque {@code launch}
 * in the same window: a 303, no pop-up, no JavaScript, because PowerChart's embedded browser shares no cookies
 * with pop-ups (docs/ehr/cerner.md §2.1). A launch "from the organizer" carries no patient. Generic tenants launch the
 * same way, with their own FHIR base as {@code iss}; backend-services-only tenants are left out.
 */
final class LauncherPage {

    private final CernerSimulator sim;
    private final State state;

    LauncherPage(CernerSimulator sim, State state) {
        this.sim = sim;
        this.state = state;
    }

    void handle(Exchange ex, String action) throws IOException {
        if (action.equals("end-session") && ex.method().equals("POST")) {
            String id = ex.cookie(AuthorizeEndpoint.SESSION_COOKIE);
            if (id != null) {
                state.sessions.remove(id);
            }
            ex.addHeader("Set-Cookie", AuthorizeEndpoint.SESSION_COOKIE + "=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax");
            ex.redirect(303, "/launcher");
            return;
        }
        if (!action.isEmpty()) {
            ex.html(404, Html.page("Not found", "<h1>Not found</h1>"));
            return;
        }
        if (ex.method().equals("POST")) {
            launch(ex);
            return;
        }
        page(ex, ex.query("tenant"), null, 200);
    }

    private void launch(Exchange ex) throws IOException {
        Map<String, String> f = ex.form();
        String tenant = f.get("tenant");
        ex.tenant = tenant;
        AppRegistration app = f.get("app") == null ? null : state.apps.get(f.get("app"));
        String patientId = f.get("patient") == null || f.get("patient").isEmpty() ? null : f.get("patient");
        FhirData.SyntheticPatient patient = patientId == null ? null : FhirData.patient(patientId);
        if (!launchable(tenant) || app == null || app.launchUri() == null
                || (patientId != null && patient == null)) {
            page(ex, tenant, "Choose a tenant, a patient and an application with a SMART Launch URI.", 400);
            return;
        }
        ex.clientId = app.clientId();
        String launch = sim.createLaunch(tenant, patientId, app.clientId());
        Map<String, String> params = new LinkedHashMap<>();
        params.put("iss", sim.fhirBase(tenant));
        params.put("launch", launch);
        ex.redirect(303, OAuthReplies.withQuery(app.launchUri(), params));
    }

    /** A configured tenant apps can be launched from: any but a backend-services-only one. */
    private boolean launchable(String tenant) {
        return tenant != null && state.tenants.containsKey(tenant) && !sim.backendOnly(tenant);
    }

    private void page(Exchange ex, String requestedTenant, String error, int status) throws IOException {
        List<SimulatorConfig.Tenant> tenants = state.tenants.values().stream().filter(t -> launchable(t.id())).toList();
        if (tenants.isEmpty()) {
            ex.html(status == 200 ? 404 : status, Html.page("PowerChart (simulated)",
                    "<h1>Patient list</h1><p class=\"muted\" id=\"no-tenants\">No tenant here launches apps.</p>"));
            return;
        }
        String tenant = launchable(requestedTenant) ? requestedTenant : tenants.get(0).id();
        StringBuilder html = new StringBuilder("<h1>Patient list</h1>");
        if (error != null) {
            html.append("<p class=\"error\" id=\"error\">").append(Html.esc(error)).append("</p>");
        }
        html.append("<p>Tenant: ");
        for (SimulatorConfig.Tenant t : tenants) {
            if (t.id().equals(tenant)) {
                html.append("<b id=\"tenant\">").append(Html.esc(t.name())).append("</b>");
            } else {
                html.append("<a href=\"/launcher?tenant=").append(Html.esc(URLEncoder.encode(t.id(), StandardCharsets.UTF_8)))
                        .append("\">").append(Html.esc(t.name())).append("</a>");
            }
            html.append(" &nbsp; ");
        }
        html.append("<br><span class=\"muted\">FHIR base (iss): <code id=\"iss\">").append(Html.esc(sim.fhirBase(tenant))).append("</code></span></p>");
        String sessionId = ex.cookie(AuthorizeEndpoint.SESSION_COOKIE);
        State.EhrSession session = sessionId == null ? null : state.sessions.get(sessionId);
        if (session != null) {
            SimulatorConfig.User user = state.users.get(session.username());
            html.append("<form method=\"post\" action=\"/launcher/end-session\" id=\"end-session\"><p>Signed in to Millennium as <b id=\"clinician\">")
                    .append(Html.esc(user == null ? session.username() : user.displayName()))
                    .append("</b> <button type=\"submit\">End EHR session</button></p></form>");
        }
        List<AppRegistration> apps = state.apps.values().stream().filter(a -> a.launchUri() != null && !a.isSystem())
                .sorted((a, b) -> a.name().compareTo(b.name())).toList();
        if (apps.isEmpty()) {
            html.append("<p class=\"muted\" id=\"no-apps\">No application with a SMART Launch URI is registered yet (POST /admin/apps).</p>");
        }
        html.append("<table><tr><th>Patient</th></tr>");
        for (FhirData.SyntheticPatient p : FhirData.PATIENTS) {
            html.append("<tr><td>");
            launchForm(html, "launch-" + p.id(), tenant, p.id(), apps,
                    "<span style=\"min-width:12rem\"><b>" + Html.esc(p.display()) + "</b></span>"
                            + "<span>" + Html.esc(p.birthDate()) + ", " + Html.esc(p.gender()) + "</span>"
                            + "<span class=\"muted\">MRN " + Html.esc(p.mrn()) + " · patient " + Html.esc(p.id())
                            + " · encounter " + Html.esc(p.encounterId()) + "</span>");
            html.append("</td></tr>");
        }
        html.append("<tr><td>");
        launchForm(html, "launch-organizer", tenant, "", apps,
                "<span style=\"min-width:12rem\"><b>Organizer</b></span><span class=\"muted\">no patient in context</span>");
        html.append("</td></tr></table>");
        ex.html(status, Html.page("PowerChart (simulated)", html.toString()));
    }

    private static void launchForm(StringBuilder html, String id, String tenant, String patientId, List<AppRegistration> apps, String label) {
        html.append("<form method=\"post\" action=\"/launcher\" id=\"").append(Html.esc(id))
                .append("\" style=\"display:flex;gap:1rem;align-items:center\">")
                .append("<input type=\"hidden\" name=\"tenant\" value=\"").append(Html.esc(tenant)).append("\">")
                .append("<input type=\"hidden\" name=\"patient\" value=\"").append(Html.esc(patientId)).append("\">")
                .append(label).append("<select name=\"app\">");
        for (AppRegistration app : apps) {
            html.append("<option value=\"").append(Html.esc(app.clientId())).append("\">").append(Html.esc(app.name())).append("</option>");
        }
        html.append("</select><button type=\"submit\">Launch</button></form>");
    }
}
