// What counts as a story reference: the id prefixes, closing words, trailer keys and lookalikes.
// See docs/references.md for every recognised form.

export interface ReferenceConfig {
  /** Story id prefixes to recognise (e.g. ['INT', 'API']); empty = any prefix matching the id pattern [A-Z][A-Z0-9]{1,9}. */
  prefixes: readonly string[];
  /** Closing words (lowercase), default DEFAULT_CLOSING_WORDS. */
  closingWords: readonly string[];
  /** Trailer keys that reference a story, default ['Story', 'Stories', 'Refs', 'Ref']. */
  trailers: readonly string[];
  /**
   * Prefixes of ids that look like story ids but are not (`UTF-8`, `SHA-256`, `ISO-8601`,
   * `RFC-2119`, `CVE-2024-1234`, `release-2024`, …). Compared case-insensitively. A prefix that
   * is also listed in `prefixes` is always recognised: an explicit prefix wins.
   */
  ignoredPrefixes: readonly string[];
}

export const DEFAULT_CLOSING_WORDS: readonly string[] = Object.freeze([
  'close',
  'closes',
  'closed',
  'closing',
  'fix',
  'fixes',
  'fixed',
  'fixing',
  'resolve',
  'resolves',
  'resolved',
  'resolving',
  'complete',
  'completes',
  'completed',
  'completing',
  'implement',
  'implements',
  'implemented',
  'implementing',
]);

/** Trailer keys that mention a story (`Story: INT-003`, `Refs: INT-003, INT-004`). */
const DEFAULT_TRAILERS: readonly string[] = Object.freeze(['Story', 'Stories', 'Refs', 'Ref']);

/**
 * Prefixes of well-known identifiers shaped like story ids. Standards and specifications,
 * encodings, algorithms and key sizes, vulnerability and advisory ids, versions of languages and
 * protocols, and words that name branches rather than stories (`release-2024`, `hotfix-12`).
 */
const DEFAULT_IGNORED_PREFIXES: readonly string[] = Object.freeze([
  // standards and specifications
  'ISO',
  'IEC',
  'IEEE',
  'ANSI',
  'RFC',
  'BCP',
  'STD',
  'FIPS',
  'NIST',
  'ECMA',
  'ES',
  'PEP',
  'JSR',
  'WCAG',
  'SOC',
  'PCI',
  'OWASP',
  // encodings and character sets
  'UTF',
  'UCS',
  'ASCII',
  'LATIN',
  'WINDOWS',
  'CP',
  'IBM',
  'EUC',
  'BIG',
  'GB',
  'KOI',
  'BASE',
  // algorithms, key and hash sizes
  'SHA',
  'MD',
  'AES',
  'DES',
  'RSA',
  'HMAC',
  'CRC',
  'ECDSA',
  'ED',
  'PKCS',
  'BLAKE',
  // vulnerability and advisory ids
  'CVE',
  'CWE',
  'GHSA',
  'CAPEC',
  // protocols, platforms and formats
  'TLS',
  'SSL',
  'HTTP',
  'IPV',
  'X86',
  'AMD',
  'ARM',
  'WIN',
  'MPEG',
  'USB',
  'DDR',
  'COVID',
  // words that name branches, releases and versions
  'RELEASE',
  'RELEASES',
  'HOTFIX',
  'BUGFIX',
  'FEATURE',
  'FIX',
  'PATCH',
  'VERSION',
  'RC',
  'ALPHA',
  'BETA',
  'BUILD',
  'SPRINT',
  'NODE',
  'PYTHON',
]);

export const DEFAULT_REFERENCE_CONFIG: ReferenceConfig = Object.freeze({
  prefixes: Object.freeze([]) as readonly string[],
  closingWords: DEFAULT_CLOSING_WORDS,
  trailers: DEFAULT_TRAILERS,
  ignoredPrefixes: DEFAULT_IGNORED_PREFIXES,
});
