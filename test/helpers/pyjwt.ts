/**
 * A Python relying party: PyJWT (Debian's python3-jwt with python3-cryptography) verifies a token
 * with Inkan's JWKS, as a Python service would. PyJWT checks an ES256 signature as RFC 7518 §3.4
 * says (64 bytes of R || S, turned into DER for `cryptography`; any other length fails), so a
 * signer that wrote DER, or dropped a leading zero byte, fails here even where a lenient verifier
 * would pass.
 *
 * Locally the tests that use it skip, with a visible line, when python3-jwt is absent; in CI
 * (`CI=true`, where .ci/run installs it) its absence fails the run.
 */
import { spawn, spawnSync } from 'node:child_process';

const PYTHON = '/usr/bin/python3';

/**
 * Reads {token, jwks | jwks_uri, algorithms, audience?, issuer?} on stdin and prints the verified
 * {header, claims}. The key is the JWKS entry the token's kid names (PyJWKClient fetches the
 * JWKS over HTTP, as a deployed relying party does); exp, iat and nbf are checked, and aud and iss
 * when given.
 */
const SCRIPT = `
import json, sys
import jwt
request = json.load(sys.stdin)
token = request["token"]
if "jwks_uri" in request:
    key = jwt.PyJWKClient(request["jwks_uri"], cache_keys=False).get_signing_key_from_jwt(token)
else:
    kid = jwt.get_unverified_header(token)["kid"]
    key = next(k for k in jwt.PyJWKSet.from_dict(request["jwks"]).keys if k.key_id == kid)
options = {"require": ["exp", "iat"], "verify_aud": "audience" in request}
claims = jwt.decode(token, key.key, algorithms=request["algorithms"], audience=request.get("audience"), issuer=request.get("issuer"), options=options)
print(json.dumps({"header": jwt.get_unverified_header(token), "claims": claims}))
`;

function probe(): boolean {
  return spawnSync(PYTHON, ['-c', 'import jwt, cryptography'], { stdio: 'ignore' }).status === 0;
}

/** Whether PyJWT can run here; without it, fails in CI and says so on stderr locally. */
export function pyJwtAvailable(testFile: string): boolean {
  const available = probe();
  if (!available) {
    if (process.env.CI === 'true') throw new Error(`${PYTHON} with PyJWT (python3-jwt, python3-cryptography) is missing: ${testFile} must run in CI`);
    process.stderr.write(`\n!! ${PYTHON} with PyJWT not found (apt-get install python3-jwt python3-cryptography): the PyJWT checks of ${testFile} are SKIPPED\n\n`);
  }
  return available;
}

export interface PyJwtRequest {
  readonly token: string;
  /** A JWK Set, or the URL PyJWKClient fetches it from. */
  readonly jwks?: unknown;
  readonly jwksUri?: string;
  readonly algorithms: readonly string[];
  readonly audience?: string;
  readonly issuer?: string;
}

export interface PyJwtVerified {
  readonly header: Record<string, unknown>;
  readonly claims: Record<string, unknown>;
}

/** Verifies with PyJWT; rejects with PyJWT's error (its last stderr line) when the token does not verify. */
export function verifyWithPyJwt(request: PyJwtRequest): Promise<PyJwtVerified> {
  const input = JSON.stringify({
    token: request.token,
    ...(request.jwksUri !== undefined ? { jwks_uri: request.jwksUri } : { jwks: request.jwks }),
    algorithms: request.algorithms,
    ...(request.audience !== undefined ? { audience: request.audience } : {}),
    ...(request.issuer !== undefined ? { issuer: request.issuer } : {}),
  });
  return new Promise((resolve, reject) => {
    const child = spawn(PYTHON, ['-c', SCRIPT], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) resolve(JSON.parse(stdout) as PyJwtVerified);
      else reject(new Error(`PyJWT refused the token: ${stderr.trim().split('\n').pop() ?? `exit ${code}`}`));
    });
    child.stdin.end(input);
  });
}
