import fs from 'node:fs';
import { ClientRegistrationError, createClient, deleteClient, describeClient } from '../../clients/registry.js';
import { CliError, type Command, type CommandInput, listOption, onePositional, optionalOption, repeatedOption, requiredOption } from '../command.js';

function readJwksFile(file: string | undefined): unknown {
  if (file === undefined) return undefined;
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as unknown;
  } catch (error) {
    throw new CliError(`cannot read --jwks-file ${file}: ${(error as Error).message}`);
  }
}

/** `--federated-claim name=value`, repeatable: the claims a federated client's tokens must carry. */
function federatedClaims(input: CommandInput): Record<string, string> | undefined {
  const given = repeatedOption(input, 'federated-claim');
  if (given.length === 0) return undefined;
  const claims = new Map<string, string>();
  for (const pair of given) {
    const equals = pair.indexOf('=');
    if (equals < 1) throw new CliError(`--federated-claim must be name=value, got ${JSON.stringify(pair)}`);
    const name = pair.slice(0, equals);
    if (claims.has(name)) throw new CliError(`--federated-claim ${name} is given twice`);
    claims.set(name, pair.slice(equals + 1));
  }
  return Object.fromEntries(claims);
}

export const clientsCreate: Command = {
  options: [
    'name', 'grant-types', 'redirect-uris', 'post-logout-redirect-uris', 'scope', 'resources', 'auth-method', 'jwks-file', 'jwks-uri', 'alg', 'backchannel-logout-uri', 'logo-uri',
    'federated-issuer', 'federated-subject', 'federated-jwks-uri', 'federated-audience', 'federated-claim',
  ],
  repeatable: ['federated-claim'],
  flags: ['skip-consent', 'require-dpop', 'require-dpop-nonce', 'allow-no-pkce', 'backchannel-logout-session-required'],
  async run(core, input) {
    try {
      const { client, secret } = await createClient({ clients: core.stores.clients, clock: core.clock, audit: core.audit }, {
        name: requiredOption(input, 'name'),
        grantTypes: listOption(input, 'grant-types'),
        redirectUris: listOption(input, 'redirect-uris'),
        postLogoutRedirectUris: listOption(input, 'post-logout-redirect-uris'),
        scope: optionalOption(input, 'scope'),
        resources: listOption(input, 'resources'),
        authMethod: optionalOption(input, 'auth-method'),
        jwks: readJwksFile(optionalOption(input, 'jwks-file')),
        jwksUri: optionalOption(input, 'jwks-uri'),
        requireDpop: input.options['require-dpop'] === true,
        requireDpopNonce: input.options['require-dpop-nonce'] === true,
        alg: optionalOption(input, 'alg'),
        skipConsent: input.options['skip-consent'] === true,
        allowNoPkce: input.options['allow-no-pkce'] === true,
        backchannelLogoutUri: optionalOption(input, 'backchannel-logout-uri'),
        backchannelLogoutSessionRequired: input.options['backchannel-logout-session-required'] === true,
        federatedIssuer: optionalOption(input, 'federated-issuer'),
        federatedSubject: optionalOption(input, 'federated-subject'),
        federatedJwksUri: optionalOption(input, 'federated-jwks-uri'),
        federatedAudience: optionalOption(input, 'federated-audience'),
        federatedClaims: federatedClaims(input),
        logoUri: optionalOption(input, 'logo-uri'),
      });
      return secret === undefined ? { client_id: client.clientId } : { client_id: client.clientId, client_secret: secret };
    } catch (error) {
      if (error instanceof ClientRegistrationError) throw new CliError(error.message);
      throw error;
    }
  },
};

export const clientsList: Command = {
  options: [],
  async run(core) {
    return (await core.stores.clients.list()).map(describeClient);
  },
};

export const clientsDelete: Command = {
  options: [],
  async run(core, input) {
    const clientId = onePositional(input, 'client_id');
    // Its refresh families end and its access tokens are revoked before the client goes.
    if (!(await deleteClient({ clients: core.stores.clients, revoker: core.revoker, ssfStreams: core.stores.ssfStreams, audit: core.audit }, clientId))) {
      throw new CliError(`no client with client_id ${clientId}`);
    }
    return { deleted: clientId };
  },
};
