/**
 * A software WebAuthn authenticator for the direct tests of passkeys/: it makes what a browser
 * hands the page after `navigator.credentials.create()` / `.get()` (attestation `none`, ES256),
 * with flags, counter and origin under the test's control, so that each refusal of the ceremonies
 * can be provoked exactly. CBOR is written by hand (maps, integers, byte and text strings: all a
 * `none` attestation and a COSE EC2 key need, RFC 8949 §3).
 */
import crypto from 'node:crypto';

type Cbor = number | string | Uint8Array | Map<number | string, Cbor>;

function head(major: number, length: number): Buffer {
  if (length < 24) return Buffer.from([(major << 5) | length]);
  if (length < 0x100) return Buffer.from([(major << 5) | 24, length]);
  const out = Buffer.alloc(3);
  out[0] = (major << 5) | 25;
  out.writeUInt16BE(length, 1);
  return out;
}

export function cbor(value: Cbor): Buffer {
  if (typeof value === 'number') return value >= 0 ? head(0, value) : head(1, -1 - value);
  if (typeof value === 'string') return Buffer.concat([head(3, Buffer.byteLength(value)), Buffer.from(value, 'utf8')]);
  if (value instanceof Uint8Array) return Buffer.concat([head(2, value.length), value]);
  return Buffer.concat([head(5, value.size), ...[...value].flatMap(([key, item]) => [cbor(key), cbor(item)])]);
}

export const FLAGS = { UP: 0x01, UV: 0x04, BE: 0x08, BS: 0x10, AT: 0x40 } as const;

export interface SoftAuthenticatorOptions {
  readonly rpId: string;
  readonly origin: string;
  /** Flags of every answer (AT is added to registrations); default UP | UV. */
  readonly flags?: number;
}

export interface SoftCredential {
  readonly id: Buffer;
  readonly userHandle: string;
  readonly privateKey: crypto.KeyObject;
  counter: number;
}

const b64u = (bytes: Uint8Array | string) => Buffer.from(bytes).toString('base64url');

export class SoftAuthenticator {
  readonly credentials: SoftCredential[] = [];
  constructor(private readonly options: SoftAuthenticatorOptions) {}

  private clientData(type: 'webauthn.create' | 'webauthn.get', challenge: string, origin: string): Buffer {
    return Buffer.from(JSON.stringify({ type, challenge, origin, crossOrigin: false }), 'utf8');
  }

  private authData(flags: number, counter: number, attested?: Buffer): Buffer {
    const counterBytes = Buffer.alloc(4);
    counterBytes.writeUInt32BE(counter);
    const rpIdHash = crypto.createHash('sha256').update(this.options.rpId).digest();
    return Buffer.concat([rpIdHash, Buffer.from([flags]), counterBytes, ...(attested === undefined ? [] : [attested])]);
  }

  /** What `startRegistration` gives the page, for `options` (PublicKeyCredentialCreationOptionsJSON). */
  register(
    options: { challenge: string; user: { id: string } },
    overrides: { origin?: string; flags?: number; rk?: boolean; /** Attest this credential again (an authenticator ignoring excludeCredentials). */ again?: SoftCredential } = {},
  ): Record<string, unknown> {
    const { privateKey, publicKey } =
      overrides.again === undefined
        ? crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' })
        : { privateKey: overrides.again.privateKey, publicKey: crypto.createPublicKey(overrides.again.privateKey) };
    const jwk = publicKey.export({ format: 'jwk' });
    const cose = cbor(
      new Map<number, Cbor>([
        [1, 2], // kty: EC2
        [3, -7], // alg: ES256
        [-1, 1], // crv: P-256
        [-2, Buffer.from(jwk.x!, 'base64url')],
        [-3, Buffer.from(jwk.y!, 'base64url')],
      ]),
    );
    const id = overrides.again?.id ?? crypto.randomBytes(16);
    if (overrides.again === undefined) this.credentials.push({ id, userHandle: options.user.id, privateKey, counter: 0 });
    const length = Buffer.alloc(2);
    length.writeUInt16BE(id.length);
    const attested = Buffer.concat([Buffer.alloc(16), length, id, cose]);
    const flags = (overrides.flags ?? this.options.flags ?? FLAGS.UP | FLAGS.UV) | FLAGS.AT;
    const attestationObject = cbor(new Map<string, Cbor>([['fmt', 'none'], ['attStmt', new Map()], ['authData', this.authData(flags, 0, attested)]]));
    return {
      id: b64u(id),
      rawId: b64u(id),
      type: 'public-key',
      response: {
        clientDataJSON: b64u(this.clientData('webauthn.create', options.challenge, overrides.origin ?? this.options.origin)),
        attestationObject: b64u(attestationObject),
        transports: ['internal'],
      },
      clientExtensionResults: { credProps: { rk: overrides.rk ?? true } },
    };
  }

  /** What `startAuthentication` gives the page: signed by `credential` with its next counter (or `counter`). */
  assert(
    credential: SoftCredential,
    options: { challenge: string },
    overrides: { origin?: string; flags?: number; counter?: number; userHandle?: string } = {},
  ): Record<string, unknown> {
    credential.counter = overrides.counter ?? credential.counter + 1;
    const authenticatorData = this.authData(overrides.flags ?? this.options.flags ?? FLAGS.UP | FLAGS.UV, credential.counter);
    const clientDataJSON = this.clientData('webauthn.get', options.challenge, overrides.origin ?? this.options.origin);
    const signed = Buffer.concat([authenticatorData, crypto.createHash('sha256').update(clientDataJSON).digest()]);
    const signature = crypto.sign('sha256', signed, credential.privateKey);
    return {
      id: b64u(credential.id),
      rawId: b64u(credential.id),
      type: 'public-key',
      response: { clientDataJSON: b64u(clientDataJSON), authenticatorData: b64u(authenticatorData), signature: b64u(signature), userHandle: overrides.userHandle ?? credential.userHandle },
      clientExtensionResults: {},
    };
  }
}
