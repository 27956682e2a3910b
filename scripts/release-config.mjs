// The `--config` overlay of a release build (.github/workflows/release.yml), written from the pipeline's secrets:
// the updater's public key the bundler checks the signing key against, and Windows Authenticode signing. Refuses,
// before any build starts, a platform whose signing inputs are missing or ambiguous. Reads the same variables as
// `cargo xtask bundle` (docs/release.md). Tested by xtask/tests/release_pipeline.rs.
//
//   node scripts/release-config.mjs <windows|macos|linux> <out.json>
import { existsSync, writeFileSync } from 'node:fs';

const [platform, out] = process.argv.slice(2);
const value = (k) => {
  const v = (process.env[k] ?? '').trim();
  return v === '' ? undefined : v;
};
const problems = [];
const need = (keys, why) => {
  const missing = keys.filter((k) => !value(k));
  if (missing.length) problems.push(`${why}: falta ${missing.join(', ')}`);
  return missing.length === 0;
};

if (!['windows', 'macos', 'linux'].includes(platform) || !out) {
  console.error('release-config: uso: node scripts/release-config.mjs <windows|macos|linux> <arquivo.json>');
  process.exit(2);
}

// The updater key pair: the private half signs the update artifacts (`.sig`), the public half is built into the app
// (BALCAO_UPDATER_PUBKEY at compile time) and given to the bundler here, which checks that the two match.
need(['BALCAO_UPDATER_PUBKEY', 'TAURI_SIGNING_PRIVATE_KEY'], 'par de chaves de atualização');

const overlay = { plugins: { updater: { pubkey: value('BALCAO_UPDATER_PUBKEY') ?? '' } } };

if (platform === 'windows') {
  // Exactly one signer: a certificate imported into the runner's store (its thumbprint) or a signing command (an
  // HSM or a cloud signing service) with %1 for the file.
  const thumbprint = value('BALCAO_WINDOWS_CERT_THUMBPRINT');
  const command = value('BALCAO_WINDOWS_SIGN_COMMAND');
  if (thumbprint && command) {
    problems.push(
      'assinatura Windows ambígua: WINDOWS_CERTIFICATE (BALCAO_WINDOWS_CERT_THUMBPRINT) e ' +
        'BALCAO_WINDOWS_SIGN_COMMAND estão definidos; deixe só um',
    );
  } else if (thumbprint) {
    // Without a timestamp the signature dies with the certificate; RFC 3161 (`signtool /tr`) is what CAs serve.
    if (need(['BALCAO_WINDOWS_TIMESTAMP_URL'], 'carimbo de tempo do certificado Windows')) {
      overlay.bundle = {
        windows: {
          certificateThumbprint: thumbprint,
          timestampUrl: value('BALCAO_WINDOWS_TIMESTAMP_URL'),
          tsp: true,
        },
      };
    }
  } else if (command) {
    overlay.bundle = { windows: { signCommand: command } };
  } else {
    problems.push(
      'instalador Windows sem assinatura Authenticode: defina WINDOWS_CERTIFICATE e ' +
        'WINDOWS_CERTIFICATE_PASSWORD (certificado .pfx) ou BALCAO_WINDOWS_SIGN_COMMAND',
    );
  }
}

if (platform === 'linux') {
  // balcao-cli for IT, at /usr/bin/balcao-cli in the .deb and the .rpm, as `cargo xtask bundle` packages it: the
  // pipeline builds it first and names it here.
  const cli = value('BALCAO_CLI_BINARY');
  if (!cli) {
    problems.push('balcao-cli: falta BALCAO_CLI_BINARY (o caminho do balcao-cli de release já compilado)');
  } else if (!existsSync(cli)) {
    problems.push(`balcao-cli: BALCAO_CLI_BINARY aponta para ${cli}, que não existe`);
  } else {
    const files = { '/usr/bin/balcao-cli': cli };
    overlay.bundle = { linux: { deb: { files }, rpm: { files } } };
  }
}

if (platform === 'macos') {
  // Tauri reads these itself; the check only refuses to start a build that would come out unsigned or un-notarised.
  need(['APPLE_CERTIFICATE', 'APPLE_CERTIFICATE_PASSWORD', 'APPLE_SIGNING_IDENTITY'], 'certificado Developer ID');
  const appleId = ['APPLE_ID', 'APPLE_PASSWORD', 'APPLE_TEAM_ID'];
  const apiKey = ['APPLE_API_ISSUER', 'APPLE_API_KEY', 'APPLE_API_KEY_PATH'];
  const some = (keys) => keys.some((k) => value(k));
  if (some(appleId)) {
    need(appleId, 'notarização com Apple ID');
  } else if (some(apiKey)) {
    need(apiKey, 'notarização com chave da App Store Connect');
  } else {
    problems.push(
      `app macOS sem notarização: defina ${appleId.join(', ')} ou ${apiKey.join(', ')} ` +
        '(APPLE_API_KEY_PATH vem do segredo APPLE_API_PRIVATE_KEY)',
    );
  }
}

if (problems.length) {
  console.error(`release-config (${platform}): a compilação de release não começa:`);
  for (const p of problems) console.error(`  - ${p}`);
  process.exit(1);
}
writeFileSync(out, `${JSON.stringify(overlay, null, 2)}\n`);
console.log(`release-config (${platform}): ${out} escrito (sem segredos: só a chave pública e o assinante)`);
