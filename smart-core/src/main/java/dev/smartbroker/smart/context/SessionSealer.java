package dev.smartbroker.smart.context;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.Optional;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;

import org.jboss.logging.Logger;
import org.keycloak.common.util.Base64Url;
import org.keycloak.common.util.SecretGenerator;
import org.keycloak.crypto.Algorithm;
import org.keycloak.crypto.KeyUse;
import org.keycloak.crypto.KeyWrapper;
import org.keycloak.models.KeycloakSession;
import org.keycloak.models.RealmModel;

/**
 * Seals values we keep in Keycloak sessions (which Keycloak persists to its database) with the realm's active
 * AES key, AES-GCM, bound by associated data to the place the value belongs to. A sealed value copied into
 * another client session or launch does not open.
 *
 * <p>Format: {@code v1.<kid>.<iv>.<ciphertext+tag>}, base64url. The kid lets values sealed before a key
 * rotation open while the old key is still enabled (passive) in the realm.
 */
final class SessionSealer {

    private static final Logger LOG = Logger.getLogger(SessionSealer.class);
    private static final String VERSION = "v1";
    private static final int IV_BYTES = 12;
    private static final int TAG_BITS = 128;

    private SessionSealer() {
    }

    static String seal(KeycloakSession session, RealmModel realm, String plaintext, String associatedData) {
        KeyWrapper key = session.keys().getActiveKey(realm, KeyUse.ENC, Algorithm.AES);
        if (key == null || key.getSecretKey() == null) {
            throw new IllegalStateException("Realm " + realm.getName() + " has no active AES key: add an 'aes-generated'"
                    + " key provider (Realm settings → Keys → Providers) to store Cerner launch data");
        }
        byte[] iv = SecretGenerator.getInstance().randomBytes(IV_BYTES);
        try {
            Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
            cipher.init(Cipher.ENCRYPT_MODE, key.getSecretKey(), new GCMParameterSpec(TAG_BITS, iv));
            cipher.updateAAD(associatedData.getBytes(StandardCharsets.UTF_8));
            byte[] ciphertext = cipher.doFinal(plaintext.getBytes(StandardCharsets.UTF_8));
            return VERSION + "." + key.getKid() + "." + Base64Url.encode(iv) + "." + Base64Url.encode(ciphertext);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("Could not seal launch data", e);
        }
    }

    /** Opens a sealed value; empty when it is malformed, tampered with, moved, or its key is gone. */
    static Optional<String> open(KeycloakSession session, RealmModel realm, String sealed, String associatedData) {
        if (sealed == null) {
            return Optional.empty();
        }
        String[] parts = sealed.split("\\.", -1);
        if (parts.length != 4 || !VERSION.equals(parts[0])) {
            return Optional.empty();
        }
        KeyWrapper key = session.keys().getKey(realm, parts[1], KeyUse.ENC, Algorithm.AES);
        if (key == null || key.getSecretKey() == null) {
            LOG.debugf("AES key %s of realm %s is no longer available; sealed launch data cannot be opened", parts[1], realm.getName());
            return Optional.empty();
        }
        try {
            Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
            cipher.init(Cipher.DECRYPT_MODE, key.getSecretKey(), new GCMParameterSpec(TAG_BITS, Base64Url.decode(parts[2])));
            cipher.updateAAD(associatedData.getBytes(StandardCharsets.UTF_8));
            return Optional.of(new String(cipher.doFinal(Base64Url.decode(parts[3])), StandardCharsets.UTF_8));
        } catch (GeneralSecurityException | IllegalArgumentException e) {
            LOG.debugf("Sealed launch data did not open (%s)", e.getClass().getSimpleName());
            return Optional.empty();
        }
    }
}
