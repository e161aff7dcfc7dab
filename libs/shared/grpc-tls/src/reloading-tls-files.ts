import { X509Certificate, createPrivateKey } from 'node:crypto';
import { createSecureContext } from 'node:tls';
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import type { experimental } from '@grpc/grpc-js';
import { pemCertificateBlocks } from '@gw/pki/pem';

type CertificateProvider = experimental.CertificateProvider;
type CaListener = experimental.CaCertificateUpdateListener;
type IdentityListener = experimental.IdentityCertificateUpdateListener;

/** The three files one side of a mutual TLS connection needs. */
export interface TlsFiles {
  /** This process's certificate (PEM; may be followed by intermediates). */
  certFile: string;
  /** Its private key (PEM). */
  keyFile: string;
  /** The CA(s) the peer's certificate must chain to (PEM bundle). */
  caFile: string;
}

/** What the files hold now, as far as operators care: who we are and when it runs out. */
export interface TlsMaterialInfo {
  /** This process's certificate's notAfter. */
  certificateNotAfter: Date;
  /** The earliest notAfter among the trusted CAs. */
  caNotAfter: Date;
  /** The certificate's subjectAltName string (`URI:spiffe://…, DNS:…`). */
  subjectAltName: string;
  /** SHA-256 fingerprint of the certificate (colon-separated hex, as node:tls prints it). */
  fingerprint256: string;
}

interface Material {
  cert: Buffer;
  key: Buffer;
  ca: Buffer;
  info: TlsMaterialInfo;
}

/**
 * How often the files are re-read. Rotation tools (cert-manager, a Kubernetes secret
 * volume, `gatewayctl certs`) replace files in place; a new handshake uses new material
 * at most this long after the files changed. Open connections are not touched.
 */
export const TLS_RELOAD_INTERVAL_MS = 5_000;

/** The CA certificates of a PEM bundle. */
function pemCertificates(pem: string): X509Certificate[] {
  return pemCertificateBlocks(pem).map((block) => new X509Certificate(block));
}

/** Checks that the three files form a usable identity; throws a message naming the file at fault. */
export function validateTlsMaterial(files: TlsFiles, cert: Buffer, key: Buffer, ca: Buffer): Material {
  let leaf: X509Certificate;
  try {
    leaf = new X509Certificate(cert);
  } catch (err) {
    throw new Error(`${files.certFile}: not a PEM certificate (${(err as Error).message})`);
  }
  let privateKey;
  try {
    privateKey = createPrivateKey(key);
  } catch (err) {
    throw new Error(`${files.keyFile}: not a PEM private key (${(err as Error).message})`);
  }
  // Rotation writes the key and the certificate one after the other: a read in between sees a pair that does not match.
  if (!leaf.checkPrivateKey(privateKey)) throw new Error(`${files.keyFile} is not the key of ${files.certFile}`);
  const cas = (() => {
    try {
      return pemCertificates(ca.toString('utf8'));
    } catch (err) {
      throw new Error(`${files.caFile}: not a PEM certificate bundle (${(err as Error).message})`);
    }
  })();
  if (cas.length === 0) throw new Error(`${files.caFile}: no PEM certificate in it`);
  createSecureContext({ cert, key, ca }); // what TLS itself will do with them
  return {
    cert,
    key,
    ca,
    info: {
      certificateNotAfter: new Date(leaf.validTo),
      caNotAfter: new Date(Math.min(...cas.map((c) => new Date(c.validTo).getTime()))),
      subjectAltName: leaf.subjectAltName ?? '',
      fingerprint256: leaf.fingerprint256,
    },
  };
}

export interface ReloadingTlsFilesOptions {
  intervalMs?: number;
  /** After the start and after each change that was taken into use. */
  onLoaded?: (info: TlsMaterialInfo) => void;
  /** A change that could not be used (the last good material stays in use); called once per distinct error. */
  onError?: (err: Error) => void;
}

/**
 * A grpc-js CertificateProvider (both identity and CA) over three files, re-read every
 * `intervalMs`. Unlike grpc-js's FileWatcherCertificateProvider it validates each read
 * before publishing it: that one hands a half-rotated pair (new key, old certificate) or
 * a truncated file to the server, which then drops every new connection until the next
 * read. Here a bad read keeps the last good material and reports the error.
 *
 * The constructor reads the files synchronously and throws when they are unusable, so a
 * process refuses to start with a message naming the file.
 */
export class ReloadingTlsFiles implements CertificateProvider {
  #material: Material;
  readonly #caListeners = new Set<CaListener>();
  readonly #identityListeners = new Set<IdentityListener>();
  readonly #timer: NodeJS.Timeout;
  #reading = false;
  #lastError: string | undefined;

  constructor(
    readonly files: TlsFiles,
    private readonly options: ReloadingTlsFilesOptions = {},
  ) {
    this.#material = validateTlsMaterial(files, readFileSync(files.certFile), readFileSync(files.keyFile), readFileSync(files.caFile));
    options.onLoaded?.(this.#material.info);
    this.#timer = setInterval(() => void this.reload(), options.intervalMs ?? TLS_RELOAD_INTERVAL_MS);
    this.#timer.unref();
  }

  get info(): TlsMaterialInfo {
    return this.#material.info;
  }

  /** Re-reads the files now (the timer calls this); resolves whether new material was taken into use. */
  async reload(): Promise<boolean> {
    if (this.#reading) return false;
    this.#reading = true;
    try {
      const [cert, key, ca] = await Promise.all([readFile(this.files.certFile), readFile(this.files.keyFile), readFile(this.files.caFile)]);
      const current = this.#material;
      if (cert.equals(current.cert) && key.equals(current.key) && ca.equals(current.ca)) return false;
      this.#material = validateTlsMaterial(this.files, cert, key, ca);
      this.#lastError = undefined;
      for (const listener of this.#identityListeners) listener({ certificate: cert, privateKey: key });
      for (const listener of this.#caListeners) listener({ caCertificate: ca });
      this.options.onLoaded?.(this.#material.info);
      return true;
    } catch (err) {
      const error = err instanceof Error ? err : new Error(String(err));
      if (error.message !== this.#lastError) this.options.onError?.(error);
      this.#lastError = error.message;
      return false;
    } finally {
      this.#reading = false;
    }
  }

  close(): void {
    clearInterval(this.#timer);
  }

  addCaCertificateListener(listener: CaListener): void {
    this.#caListeners.add(listener);
    process.nextTick(listener, { caCertificate: this.#material.ca });
  }

  removeCaCertificateListener(listener: CaListener): void {
    this.#caListeners.delete(listener);
  }

  addIdentityCertificateListener(listener: IdentityListener): void {
    this.#identityListeners.add(listener);
    process.nextTick(listener, { certificate: this.#material.cert, privateKey: this.#material.key });
  }

  removeIdentityCertificateListener(listener: IdentityListener): void {
    this.#identityListeners.delete(listener);
  }
}
