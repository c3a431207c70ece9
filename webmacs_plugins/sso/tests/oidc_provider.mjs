// A certified OpenID provider (oidc-provider) on loopback for the SSO tests.
// Usage: node oidc_provider.mjs '<json config>'; prints "LISTENING <issuer>" once it accepts requests.
// The config names the clients and the accounts; the provider's own login and consent pages
// (dev interactions) take any password for a known account.
import http from 'node:http';
import Provider from 'oidc-provider';

const config = JSON.parse(process.argv[2]);
const accounts = config.accounts;

const server = http.createServer();
server.listen(0, '127.0.0.1', () => {
  const issuer = `http://127.0.0.1:${server.address().port}`;
  const provider = new Provider(issuer, {
    clients: config.clients,
    cookies: { keys: ['webmacs-sso-tests-cookie-key'] },
    claims: {
      openid: ['sub'],
      email: ['email', 'email_verified'],
      profile: ['name', 'preferred_username'],
      groups: ['groups'],
    },
    scopes: ['openid', 'email', 'profile', 'groups'],
    pkce: { required: () => true },
    features: { devInteractions: { enabled: true } },
    async findAccount(ctx, id) {
      const account = accounts[id];
      if (!account) return undefined;
      return { accountId: id, async claims() { return { sub: id, ...account }; } };
    },
  });
  provider.on('server_error', (ctx, err) => console.error('server_error', err));
  server.on('request', provider.callback());
  console.log(`LISTENING ${issuer}`);
});

process.on('SIGTERM', () => server.close(() => process.exit(0)));
