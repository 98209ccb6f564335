package dev.smartbroker.simulator;

import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A PowerChart-like patient list: pick a patient (with the open encounter) and a registered app, launch. The
 * launch opens the app's SMART Launch URI with {@code iss} and an opaque {@code launch}, in the same window
 * (303, no pop-up, no JavaScript: PowerChart's embedded browser shares no cookies with pop-ups, §2.1).
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
            String id = ex.cookie(AuthorizationServer.SESSION_COOKIE);
            if (id != null) {
                state.sessions.remove(id);
            }
            ex.addHeader("Set-Cookie", AuthorizationServer.SESSION_COOKIE + "=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax");
            ex.redirect(303, "/launcher");
            return;
        }
        if (ex.method().equals("POST")) {
            launch(ex);
            return;
        }
        page(ex, ex.query("tenant"), null);
    }

    private void launch(Exchange ex) throws IOException {
        Map<String, String> f = ex.form();
        String tenant = f.get("tenant");
        ex.tenant = tenant;
        AppRegistration app = f.get("app") == null ? null : state.apps.get(f.get("app"));
        FhirData.SyntheticPatient patient = FhirData.patient(f.get("patient"));
        if (tenant == null || !state.tenants.containsKey(tenant) || app == null || app.launchUri() == null || patient == null) {
            page(ex, tenant, "Choose a tenant, a patient and an application with a SMART Launch URI.");
            return;
        }
        ex.clientId = app.clientId();
        String launch = sim.createLaunch(tenant, patient.id(), app.clientId());
        Map<String, String> params = new LinkedHashMap<>();
        params.put("iss", sim.fhirBase(tenant));
        params.put("launch", launch);
        ex.redirect(303, AuthorizationServer.withQuery(app.launchUri(), params));
    }

    private void page(Exchange ex, String requestedTenant, String error) throws IOException {
        String tenant = requestedTenant != null && state.tenants.containsKey(requestedTenant) ? requestedTenant
                : state.tenants.keySet().iterator().next();
        StringBuilder html = new StringBuilder("<h1>Patient list</h1>");
        if (error != null) {
            html.append("<p class=\"error\" id=\"error\">").append(Html.esc(error)).append("</p>");
        }
        html.append("<p>Tenant: ");
        for (SimulatorConfig.Tenant t : state.tenants.values()) {
            html.append(t.id().equals(tenant) ? "<b>" : "<a href=\"/launcher?tenant=" + Html.esc(t.id()) + "\">")
                    .append(Html.esc(t.name())).append(t.id().equals(tenant) ? "</b>" : "</a>").append(" &nbsp; ");
        }
        html.append("<br><span class=\"muted\">FHIR base (iss): <code id=\"iss\">").append(Html.esc(sim.fhirBase(tenant))).append("</code></span></p>");
        String sessionId = ex.cookie(AuthorizationServer.SESSION_COOKIE);
        State.EhrSession session = sessionId == null ? null : state.sessions.get(sessionId);
        if (session != null) {
            html.append("<form method=\"post\" action=\"/launcher/end-session\" id=\"end-session\"><p>Signed in to Millennium as <b>")
                    .append(Html.esc(state.users.get(session.username()).displayName()))
                    .append("</b> <button type=\"submit\">End EHR session</button></p></form>");
        }
        List<AppRegistration> apps = state.apps.values().stream().filter(a -> a.launchUri() != null).toList();
        if (apps.isEmpty()) {
            html.append("<p class=\"muted\">No application with a SMART Launch URI is registered yet (POST /admin/apps).</p>");
        }
        html.append("<table><tr><th>Patient</th><th>Born</th><th>MRN / encounter</th><th>Application</th><th></th></tr>");
        for (FhirData.SyntheticPatient p : FhirData.PATIENTS) {
            html.append("<tr><td colspan=\"5\"><form method=\"post\" action=\"/launcher\" id=\"launch-").append(p.id())
                    .append("\" style=\"display:flex;gap:1rem;align-items:center\">")
                    .append("<input type=\"hidden\" name=\"tenant\" value=\"").append(Html.esc(tenant)).append("\">")
                    .append("<input type=\"hidden\" name=\"patient\" value=\"").append(p.id()).append("\">")
                    .append("<span style=\"min-width:12rem\"><b>").append(Html.esc(p.display())).append("</b></span>")
                    .append("<span>").append(p.birthDate()).append(", ").append(p.gender()).append("</span>")
                    .append("<span class=\"muted\">").append(p.id()).append(" / ").append(p.encounterId()).append("</span>")
                    .append("<select name=\"app\">");
            for (AppRegistration app : apps) {
                html.append("<option value=\"").append(Html.esc(app.clientId())).append("\">").append(Html.esc(app.name())).append("</option>");
            }
            html.append("</select><button type=\"submit\">Launch</button></form></td></tr>");
        }
        html.append("</table>");
        ex.html(200, Html.page("PowerChart (simulated)", html.toString()));
    }
}
