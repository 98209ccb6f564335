package dev.smartbroker.smart.context;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.Optional;
import java.util.zip.DataFormatException;
import java.util.zip.Deflater;
import java.util.zip.Inflater;
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
 * <p>Format: {@code v2.<kid>.<iv>.<ciphertext+tag>}, base64url, where the plaintext is DEFLATE-compressed before it is
 * encrypted and the version is part of the associated data. Compression matters because Keycloak rewrites a client
 * session's notes, every kept launch included, on each write of that session (a database write with persistent user
 * sessions): it takes a launch's two values from about 1.9 KB to 1.3 KB. Compressing before encrypting can leak
 * through ciphertext lengths only to someone who sees them and chooses part of the plaintext; these values never leave
 * Keycloak's session store. Values in the older {@code v1} format (not compressed) still open. The kid lets values
 * sealed before a key rotation open while the old key is still enabled (passive) in the realm.
 */
final class SessionSealer {

    private static final Logger LOG = Logger.getLogger(SessionSealer.class);
    private static final String VERSION = "v2";
    private static final String UNCOMPRESSED_VERSION = "v1";
    /** Far above any launch's values; a bound on inflating, although only values we sealed get this far. */
    private static final int MAX_PLAINTEXT_BYTES = 256 * 1024;
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
            cipher.updateAAD((VERSION + "|" + associatedData).getBytes(StandardCharsets.UTF_8));
            byte[] ciphertext = cipher.doFinal(deflate(plaintext.getBytes(StandardCharsets.UTF_8)));
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
        boolean compressed = VERSION.equals(parts[0]);
        if (parts.length != 4 || !(compressed || UNCOMPRESSED_VERSION.equals(parts[0]))) {
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
            cipher.updateAAD((compressed ? VERSION + "|" + associatedData : associatedData).getBytes(StandardCharsets.UTF_8));
            byte[] plaintext = cipher.doFinal(Base64Url.decode(parts[3]));
            return Optional.of(new String(compressed ? inflate(plaintext) : plaintext, StandardCharsets.UTF_8));
        } catch (GeneralSecurityException | IllegalArgumentException | DataFormatException e) {
            LOG.debugf("Sealed launch data did not open (%s)", e.getClass().getSimpleName());
            return Optional.empty();
        }
    }

    private static byte[] deflate(byte[] input) {
        Deflater deflater = new Deflater(Deflater.DEFAULT_COMPRESSION, true);
        try {
            deflater.setInput(input);
            deflater.finish();
            ByteArrayOutputStream out = new ByteArrayOutputStream(input.length);
            byte[] buffer = new byte[1024];
            while (!deflater.finished()) {
                out.write(buffer, 0, deflater.deflate(buffer));
            }
            return out.toByteArray();
        } finally {
            deflater.end();
        }
    }

    private static byte[] inflate(byte[] input) throws DataFormatException {
        Inflater inflater = new Inflater(true);
        try {
            inflater.setInput(input);
            ByteArrayOutputStream out = new ByteArrayOutputStream(input.length * 3);
            byte[] buffer = new byte[1024];
            while (!inflater.finished()) {
                int n = inflater.inflate(buffer);
                if (n == 0 && (inflater.needsInput() || inflater.needsDictionary())) {
                    throw new DataFormatException("truncated compressed value");
                }
                out.write(buffer, 0, n);
                if (out.size() > MAX_PLAINTEXT_BYTES) {
                    throw new DataFormatException("value larger than " + MAX_PLAINTEXT_BYTES + " bytes");
                }
            }
            return out.toByteArray();
        } finally {
            inflater.end();
        }
    }
}
