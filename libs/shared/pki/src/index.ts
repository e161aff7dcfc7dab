export { createCertificateAuthority, issueCertificate, DEFAULT_CA_DAYS, DEFAULT_LEAF_DAYS, type KeyPair, type LeafOptions, type Validity } from './certificate-authority.js';
export { certificateFiles, initCertificateDirectory, readCertificateAuthority, issueToDirectory } from './certificate-files.js';
export { pemCertificateBlocks, certificateNotAfter } from './pem-certificates.js';
export { TRUST_DOMAIN, IDENTITY_ID, spiffeId, idFromSpiffeId, urisOfSubjectAltName, peerIdentity, type PeerKind } from './spiffe-identity.js';
export { describeCertificates, subjectAltNames, type CertificateDescription } from './certificate-description.js';
