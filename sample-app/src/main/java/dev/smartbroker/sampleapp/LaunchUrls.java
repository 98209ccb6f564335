package dev.smartbroker.sampleapp;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

import jakarta.servlet.http.HttpServletRequest;

/**
 * Every tab's URL names its launch: {@code /launch/{id}} shows it, {@code /launch/{id}/refresh} refreshes its tokens
 * and {@code /launch/{id}/logout} signs out. The id is the launch id Keycloak puts in the {@code smart_launch} claim:
 * random, free of patient data, and only useful together with this browser's session cookie, so it can sit in the
 * address bar (the app sends {@code Referrer-Policy: no-referrer} so it stays there).
 */
final class LaunchUrls {

    /** Launch ids as this app accepts them in a path: URL-safe characters, bounded length. Anything else names nothing. */
    static final Pattern ID = Pattern.compile("[A-Za-z0-9_-]{1,128}");
    private static final Pattern PATH = Pattern.compile("/launch/([^/]+)(?:/([a-z]+))?");

    private LaunchUrls() {
    }

    /** The page of a launch, relative to the app's context path. */
    static String page(String launchId) {
        return "/launch/" + launchId;
    }

    /** The launch a request's URL names, or null when it names none (or something that cannot be a launch id). */
    static String launchIdOf(HttpServletRequest request) {
        Matcher matcher = PATH.matcher(pathOf(request));
        return matcher.matches() && ID.matcher(matcher.group(1)).matches() ? matcher.group(1) : null;
    }

    /** Whether the request is a sign-out from a launch's page ({@code POST /launch/{id}/logout}). */
    static boolean isSignOut(HttpServletRequest request) {
        Matcher matcher = PATH.matcher(pathOf(request));
        return "POST".equals(request.getMethod()) && matcher.matches() && ID.matcher(matcher.group(1)).matches()
                && "logout".equals(matcher.group(2));
    }

    /** Whether the request is for any launch URL, even one whose id is malformed. */
    static boolean isLaunchPath(HttpServletRequest request) {
        return pathOf(request).startsWith("/launch/");
    }

    private static String pathOf(HttpServletRequest request) {
        return request.getRequestURI().substring(request.getContextPath().length());
    }
}
