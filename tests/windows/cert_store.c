/*
 * cert_store - puts a CA certificate into, or takes it out of, the current
 * user's trusted root certificates: the "ROOT" store that
 * rustls-native-certs reads on Windows, and so libuiza's default trust.
 * Used by tests/windows.rs under wine (which keeps the store in its
 * registry).
 *
 *   cert_store add <ca.pem>      trust the first certificate of the file
 *   cert_store remove <ca.pem>   remove every root with its subject
 *
 * On real Windows, adding to the user's ROOT store asks for confirmation
 * in a dialog; under wine it does not.
 */
#include <windows.h>
#include <wincrypt.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int fail(const char *what) {
    fprintf(stderr, "cert_store: %s failed (error %lu)\n", what, (unsigned long)GetLastError());
    return 1;
}

/* The first certificate of a PEM file, DER-encoded; NULL on failure. */
static BYTE *read_pem(const char *path, DWORD *der_len) {
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        return NULL;
    }
    static char pem[65536];
    size_t n = fread(pem, 1, sizeof pem - 1, f);
    fclose(f);
    pem[n] = '\0';
    *der_len = 0;
    if (!CryptStringToBinaryA(pem, 0, CRYPT_STRING_BASE64HEADER, NULL, der_len, NULL, NULL)) {
        return NULL;
    }
    BYTE *der = malloc(*der_len);
    if (der != NULL &&
        !CryptStringToBinaryA(pem, 0, CRYPT_STRING_BASE64HEADER, der, der_len, NULL, NULL)) {
        free(der);
        der = NULL;
    }
    return der;
}

int main(int argc, char **argv) {
    int add = argc == 3 && strcmp(argv[1], "add") == 0;
    int remove = argc == 3 && strcmp(argv[1], "remove") == 0;
    if (!add && !remove) {
        fprintf(stderr, "usage: cert_store add|remove <ca.pem>\n");
        return 2;
    }
    /* The user's own registry store ("ROOT" as a system store is a
     * collection over it and the machine's roots, and wine 8 does not
     * delete through the collection). */
    HCERTSTORE store = CertOpenStore(CERT_STORE_PROV_SYSTEM_REGISTRY_W, 0, 0,
                                     CERT_SYSTEM_STORE_CURRENT_USER, L"ROOT");
    if (store == NULL) {
        return fail("CertOpenStore(ROOT)");
    }
    DWORD der_len = 0;
    BYTE *der = read_pem(argv[2], &der_len);
    PCCERT_CONTEXT cert = NULL;
    int rc = 0;
    if (der == NULL) {
        rc = fail("reading the PEM file");
    } else if (add) {
        if (!CertAddEncodedCertificateToStore(store, X509_ASN_ENCODING, der, der_len,
                                              CERT_STORE_ADD_REPLACE_EXISTING, NULL)) {
            rc = fail("CertAddEncodedCertificateToStore");
        }
    } else if ((cert = CertCreateCertificateContext(X509_ASN_ENCODING, der, der_len)) == NULL) {
        rc = fail("CertCreateCertificateContext");
    } else {
        /* Every certificate of the same subject goes: the sandbox's CAs
         * all have one name, and one left by an interrupted run would make
         * the next run's handshakes fail on a signature rather than on an
         * unknown issuer. */
        int removed = 0;
        PCCERT_CONTEXT found;
        while ((found = CertFindCertificateInStore(store, X509_ASN_ENCODING, 0,
                                                   CERT_FIND_SUBJECT_NAME,
                                                   &cert->pCertInfo->Subject, NULL)) != NULL) {
            /* Frees `found`. */
            if (!CertDeleteCertificateFromStore(found)) {
                rc = fail("CertDeleteCertificateFromStore");
                break;
            }
            removed++;
        }
        if (rc == 0 && removed == 0) {
            fprintf(stderr, "cert_store: no such certificate in the store\n");
            rc = 1;
        }
        CertFreeCertificateContext(cert);
    }
    free(der);
    CertCloseStore(store, 0);
    return rc;
}
