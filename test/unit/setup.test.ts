import {execFileSync} from 'node:child_process';
import {describe, expect, it} from 'vitest';
import {parseProfile} from '../../source/core/config/load.js';
import {SEED_PROFILE} from '../../source/core/config/schema.js';
import {createStagingScript, STAGING_BODY_JQ, setupSteps, stagingOverrides} from '../../source/core/setup/staging.js';

const profile = parseProfile({...SEED_PROFILE, postgres: {host: 'tower.local', port: 5423, user: 'jutsu', via: 'direct', container: 'postgres17'}}, 'test');

/** Production's create body, as CREATE_BODY_JQ makes it from docker inspect. */
const PRODUCTION_BODY = {
	Image: 'ankugo/jutsu-labs:latest',
	Env: ['ENVIRONMENT=production', 'SCHWAB_ENABLED=true', 'SCHWAB_CLIENT_ID=abc', 'SCHWAB_CLIENT_SECRET=def', 'PAPER_TRADING_ONLY=false', 'POSTGRES_DATABASE=jutsu_labs', 'POSTGRES_PASSWORD=pw', 'SECRET_KEY=prodkey', 'ADMIN_PASSWORD=admin', 'TZ=America/New_York'],
	Labels: {'net.unraid.docker.managed': 'dockerman', 'org.opencontainers.image.revision': 'abc', 'net.unraid.docker.webui': 'http://[IP]:[PORT:3001]/'},
	HostConfig: {
		PortBindings: {'8000/tcp': [{HostIp: '', HostPort: '8001'}], '3000/tcp': [{HostIp: '', HostPort: '3001'}], '9999/tcp': [{HostIp: '', HostPort: '9999'}]},
		Binds: ['/mnt/user/appdata/jutsu/config:/app/config', '/mnt/user/appdata/jutsu/logs:/app/logs:rw', '/mnt/user/appdata/jutsu/tokens:/app/tokens', 'jutsu-cache:/cache'],
		RestartPolicy: {Name: 'unless-stopped'},
	},
};

function stagingBody(): Record<string, any> {
	const out = execFileSync('jq', ['--arg', 'image', 'ankugo/jutsu-labs:staging', '--arg', 'secret', 'NEWKEY', '--argjson', 'over', JSON.stringify(stagingOverrides(profile)), '--argjson', 'api', '8002', '--argjson', 'ui', '3002', '--argjson', 'produi', '3001', STAGING_BODY_JQ], {input: JSON.stringify(PRODUCTION_BODY), encoding: 'utf8'});
	return JSON.parse(out) as Record<string, any>;
}

describe('setup staging', () => {
	it('the staging container body: staging tag, the profile\'s ports, <appdata>-staging folders, no token volume, overrides and a new SECRET_KEY', () => {
		const body = stagingBody();
		expect(body.Image).toBe('ankugo/jutsu-labs:staging');
		expect(body.HostConfig.PortBindings).toEqual({'8000/tcp': [{HostIp: '', HostPort: '8002'}], '3000/tcp': [{HostIp: '', HostPort: '3002'}]});
		expect(body.HostConfig.Binds).toEqual(['/mnt/user/appdata/jutsu-staging/config:/app/config', '/mnt/user/appdata/jutsu-staging/logs:/app/logs:rw']);
		expect(body.HostConfig.RestartPolicy).toEqual({Name: 'unless-stopped'});
		expect(body.Env.sort()).toEqual([
			'ADMIN_PASSWORD=admin', 'ENVIRONMENT=staging', 'LOG_LEVEL=DEBUG', 'PAPER_TRADING_ONLY=true', 'POSTGRES_DATABASE=jutsu_labs_staging', 'POSTGRES_PASSWORD=pw',
			'SCHWAB_ENABLED=false', 'SECRET_KEY=NEWKEY', 'TZ=America/New_York',
		]);
		// the web UI link opens staging's dashboard, not production's
		expect(body.Labels).toEqual({'net.unraid.docker.managed': 'dockerman', 'net.unraid.docker.webui': 'http://[IP]:[PORT:3002]/'});
	});

	it('the SECRET_KEY is made on the host (openssl) and the script holds no secret of its own', () => {
		const script = createStagingScript(profile, 60).toString();
		expect(script).toContain('secret=$(openssl rand -hex 32)');
		expect(script).toContain('--arg secret "$secret"');
		expect(script).not.toMatch(/echo "\$secret"|printf '%s' "\$secret"/u);
	});

	it('steps are data, in the issue\'s order, ending with the Safety checks', () => {
		expect(setupSteps(profile).map(s => s.id)).toEqual(['branch', 'ci', 'database', 'container', 'template', 'sync', 'safety']);
	});
});
