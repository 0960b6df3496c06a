import {execFileSync} from 'node:child_process';
import {chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {XMLParser, XMLValidator} from 'fast-xml-parser';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {AuditLog} from '../../source/core/audit/audit.js';
import {parseProfile} from '../../source/core/config/load.js';
import {SEED_PROFILE} from '../../source/core/config/schema.js';
import type {Session} from '../../source/core/session.js';
import {setupSteps, type SetupContext} from '../../source/core/setup/staging.js';
import {templateScript, templateStep} from '../../source/core/setup/template.js';
import {LocalTransport} from '../../source/core/transport/local.js';

/**
 * The template script runs for real (bash + jq on this machine) against a fixture `docker inspect`, served by a fake
 * `docker` on PATH. The fixture holds hostile values (<, &, quotes, newlines, a $(...) name) and secrets.
 */

const tmp = mkdtempSync(join(tmpdir(), 'jutsu-unraid-template-'));
const bin = join(tmp, 'bin');
const fixtures = join(tmp, 'fixtures');
const templates = join(tmp, 'boot', 'config', 'plugins', 'dockerMan', 'templates-user');
const NAME = 'jutsu-labs-staging';
const FILE = join(templates, `my-${NAME}.xml`);
const PWNED = join(tmp, 'PWNED');

const SECRETS = {
	SECRET_KEY: 's3cr3t-<&>-"k3y"-\'x\'',
	POSTGRES_PASSWORD: 'pg-pass&word<1>',
	ADMIN_PASSWORD: 'admin\npass\tword',
	SCHWAB_CLIENT_ID: 'client-id-9876',
	api_token: 'lower-case-token-value',
};

const IMAGE_ID = 'sha256:1111111111111111111111111111111111111111111111111111111111111111';
const CONTAINER = {
	Id: 'abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789',
	Created: '2026-12-04T18:02:30.246137152Z',
	Name: `/${NAME}`,
	Image: IMAGE_ID,
	Config: {
		Hostname: 'abcdef012345',
		User: '',
		Image: '127.0.0.1:5000/ankugo/jutsu-labs:staging',
		Cmd: null,
		Entrypoint: ['/app/bin/entrypoint.sh'],
		Env: [
			'ENVIRONMENT=staging',
			'SCHWAB_ENABLED=false',
			'PAPER_TRADING_ONLY=true',
			...Object.entries(SECRETS).map(([k, v]) => `${k}=${v}`),
			'NOTE=<b>"Tom" & \'Jerry\'</b>',
			'MULTI=line one\nline two\r\n\tend',
			'EQUALS=a=b=c',
			'EMPTY=',
			`$(touch ${PWNED})=dollar name`,
			'LANG=en_US.UTF-8',
			'HOST_OS=Unraid',
			'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
		],
		Labels: {
			'net.unraid.docker.managed': 'dockerman',
			'net.unraid.docker.webui': 'http://[IP]:[PORT:3002]/?a=1&b=<2>',
			'net.unraid.docker.icon': 'https://example.com/icon.png',
			'org.opencontainers.image.revision': 'a930cd9d4613cf24a1b50a4e16c511662d02205d',
			'org.opencontainers.image.title': 'jutsu-labs (staging)',
			'com.example.note': '<&> "quoted" $(touch PWNED)',
		},
	},
	HostConfig: {
		NetworkMode: 'bridge',
		Privileged: false,
		RestartPolicy: {Name: 'unless-stopped', MaximumRetryCount: 0},
		PortBindings: {
			'8000/tcp': [{HostIp: '127.0.0.1', HostPort: '8002'}],
			'3000/tcp': [{HostIp: '', HostPort: '3002'}],
			'5353/udp': [{HostIp: '::1', HostPort: '5353'}],
		},
		CpusetCpus: '',
	},
	Mounts: [
		{Type: 'bind', Source: '/mnt/user/appdata/jutsu-staging/logs', Destination: '/app/logs', RW: true, Propagation: 'rprivate'},
		{Type: 'bind', Source: '/mnt/user/appdata/jutsu-staging/a & <b> "c"', Destination: '/app/config', RW: false, Propagation: 'rslave'},
		{Type: 'volume', Name: 'jutsu-cache', Source: '/var/lib/docker/volumes/jutsu-cache/_data', Destination: '/cache', RW: true},
		{Type: 'volume', Name: 'f'.repeat(64), Source: '/var/lib/docker/volumes/x/_data', Destination: '/anon', RW: true},
	],
	NetworkSettings: {Networks: {bridge: {IPAMConfig: null}}},
};
const IMAGE = {
	Id: IMAGE_ID,
	Config: {
		Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'LANG=C.UTF-8'],
		Entrypoint: ['/app/bin/entrypoint.sh'],
		Cmd: null,
		Labels: {'org.opencontainers.image.revision': 'a930cd9d4613cf24a1b50a4e16c511662d02205d', 'org.opencontainers.image.title': 'jutsu-labs'},
	},
};

const profile = parseProfile({...SEED_PROFILE, unraid: {templatesDir: templates}}, 'test');

function writeFixtures(container: unknown) {
	writeFileSync(join(fixtures, 'container.json'), JSON.stringify([container]));
	writeFileSync(join(fixtures, 'image.json'), JSON.stringify([IMAGE]));
}

function run(script = templateScript(profile).toString()) {
	try {
		const stdout = execFileSync('bash', ['-c', script], {cwd: tmp, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: {...process.env, PATH: `${bin}:${process.env.PATH}`}});
		return {code: 0, stdout, stderr: ''};
	} catch (error) {
		const e = error as {status: number; stdout: string; stderr: string};
		return {code: e.status, stdout: e.stdout, stderr: e.stderr};
	}
}

const parser = new XMLParser({ignoreAttributes: false, attributeNamePrefix: '', parseTagValue: false, parseAttributeValue: false, trimValues: false, htmlEntities: true, textNodeName: 'value', isArray: name => name === 'Config'});
interface ConfigEntry {Name: string; Target: string; Default: string; Mode: string; Description: string; Type: string; Display: string; Required: string; Mask: string; value?: string}
function parse(xml: string) {
	const doc = parser.parse(xml) as {Container: Record<string, any> & {Config: ConfigEntry[]}};
	const configs = doc.Container.Config.map(c => ({...c, value: c.value ?? ''}));
	return {c: doc.Container, configs, of: (type: string) => configs.filter(x => x.Type === type)};
}

/** Strict lexical check (fast-xml-parser's validator lets a raw `<` through in attribute values). */
const TEXT = String.raw`(?:[^<>&"]|&(?:amp|lt|gt|quot|apos|#39|#10|#13|#9);)*`;
const LINE = new RegExp(String.raw`^(?:<\?xml version="1\.0"\?>|<Container version="2">|</Container>|  <(\w+)>${TEXT}</\1>|  <Config(?: \w+="${TEXT}")+>${TEXT}</Config>)$`, 'u');

beforeAll(() => {
	mkdirSync(bin, {recursive: true});
	mkdirSync(fixtures, {recursive: true});
	mkdirSync(templates, {recursive: true});
	writeFileSync(join(bin, 'docker'), `#!/bin/bash
# fake docker: serves the fixtures; anything else fails
if [ "$1 $2 $3" = "inspect --type container" ] && [ "$4" = ${NAME} ] && [ -s ${fixtures}/container.json ]; then cat ${fixtures}/container.json; exit 0; fi
if [ "$1 $2" = "image inspect" ] && [ "$3" = ${IMAGE_ID} ]; then cat ${fixtures}/image.json; exit 0; fi
echo "Error: No such object: $*" >&2; exit 1
`);
	chmodSync(join(bin, 'docker'), 0o755);
	writeFixtures(CONTAINER);
});

afterAll(() => {
	rmSync(tmp, {recursive: true, force: true});
});

describe('the Unraid template script (bash + jq on this machine, fake docker)', () => {
	let xml = '';
	let first: ReturnType<typeof run>;

	beforeAll(() => {
		first = run();
		xml = existsSync(FILE) ? readFileSync(FILE, 'utf8') : '';
	});

	it('writes my-<name>.xml (mode 600, no temp file left) and prints a summary with names and counts only', () => {
		expect(first.code, first.stderr).toBe(0);
		expect(first.stdout.trim()).toBe(`wrote ${FILE}: 3 ports, 3 paths, 14 variables (5 masked: ADMIN_PASSWORD POSTGRES_PASSWORD SCHWAB_CLIENT_ID SECRET_KEY api_token), 2 labels; not in the template: anonymous volumes`);
		expect(statSync(FILE).mode & 0o777).toBe(0o600);
		expect(readdirSync(templates)).toEqual([`my-${NAME}.xml`]);
		for (const secret of Object.values(SECRETS)) {
			expect(first.stdout.includes(secret)).toBe(false);
			expect(first.stderr.includes(secret)).toBe(false);
		}
		expect(existsSync(PWNED)).toBe(false);
	});

	it('is well-formed XML: every line escaped, and a parser accepts it', () => {
		expect(XMLValidator.validate(xml)).toBe(true);
		const lines = xml.trimEnd().split('\n');
		expect(lines[0]).toBe('<?xml version="1.0"?>');
		expect(lines[1]).toBe('<Container version="2">');
		for (const line of lines) expect(LINE.test(line), line.slice(0, 60)).toBe(true);
	});

	it('holds the container as dockerMan version 2 reads it', () => {
		const {c} = parse(xml);
		expect(c.version).toBe('2');
		expect(Object.keys(c).filter(k => k !== 'Config' && k !== 'version' && k !== 'value')).toEqual([
			'Name', 'Repository', 'Registry', 'Network', 'MyIP', 'Shell', 'Privileged', 'Support', 'Project', 'Overview', 'Category', 'WebUI',
			'TemplateURL', 'Icon', 'ExtraParams', 'PostArgs', 'CPUset', 'DateInstalled', 'DonateText', 'DonateLink', 'Requires',
		]);
		expect(c.Name).toBe(NAME);
		expect(c.Repository).toBe('127.0.0.1:5000/ankugo/jutsu-labs:staging');
		expect(c.Network).toBe('bridge');
		expect(c.MyIP).toBe('');
		expect(c.Shell).toBe('sh');
		expect(c.Privileged).toBe('false');
		expect(c.WebUI).toBe('http://[IP]:[PORT:3002]/?a=1&b=<2>');
		expect(c.Icon).toBe('https://example.com/icon.png');
		expect(c.ExtraParams).toBe('--restart unless-stopped');
		expect(c.PostArgs).toBe('');
		expect(c.TemplateURL).toBe('');
		expect(c.DateInstalled).toBe(String(Date.parse('2026-12-04T18:02:30Z') / 1000));
	});

	it('one Config per published port (host IP kept), bind mount and named volume (ro, slave), with hostile paths intact', () => {
		const {of} = parse(xml);
		expect(of('Port').map(p => [p.Name, p.Target, p.Mode, p.value, p.Default, p.Mask])).toEqual([
			['Port 3000/tcp', '3000', 'tcp', '3002', '3002', 'false'],
			['Port 5353/udp', '5353', 'udp', '[::1]:5353', '[::1]:5353', 'false'],
			['Port 8000/tcp', '8000', 'tcp', '127.0.0.1:8002', '127.0.0.1:8002', 'false'],
		]);
		expect(of('Path').map(p => [p.Target, p.Mode, p.value])).toEqual([
			['/app/config', 'ro,slave', '/mnt/user/appdata/jutsu-staging/a & <b> "c"'],
			['/app/logs', 'rw', '/mnt/user/appdata/jutsu-staging/logs'],
			['/cache', 'rw', 'jutsu-cache'],
		]);
		for (const c of parse(xml).configs) {
			expect(c.Description).toBe('');
			expect(c.Required).toBe('false');
			expect(['always', 'advanced']).toContain(c.Display);
		}
	});

	it('one Variable per env var the image does not set, values exact (quotes, <, &, newlines); secret names masked, with no Default', () => {
		const {of} = parse(xml);
		const vars = of('Variable');
		const byName = new Map(vars.map(v => [v.Target, v]));
		expect(vars.map(v => v.Target)).toEqual([
			'ENVIRONMENT', 'SCHWAB_ENABLED', 'PAPER_TRADING_ONLY', 'SECRET_KEY', 'POSTGRES_PASSWORD', 'ADMIN_PASSWORD', 'SCHWAB_CLIENT_ID', 'api_token',
			'NOTE', 'MULTI', 'EQUALS', 'EMPTY', `$(touch ${PWNED})`, 'LANG',
		]);
		expect(byName.has('PATH')).toBe(false);
		expect(byName.has('HOST_OS')).toBe(false);
		expect(byName.get('NOTE')!.value).toBe('<b>"Tom" & \'Jerry\'</b>');
		expect(byName.get('MULTI')!.value).toBe('line one\nline two\r\n\tend');
		expect(byName.get('EQUALS')!.value).toBe('a=b=c');
		expect(byName.get('EMPTY')!.value).toBe('');
		expect(byName.get(`$(touch ${PWNED})`)!.value).toBe('dollar name');
		expect(byName.get('LANG')!.value).toBe('en_US.UTF-8');
		expect(byName.get('ENVIRONMENT')).toMatchObject({Name: 'ENVIRONMENT', value: 'staging', Default: 'staging', Mask: 'false'});
		for (const [name, value] of Object.entries(SECRETS)) {
			expect(byName.get(name)).toMatchObject({Mask: 'true', Default: '', value});
		}
		expect(vars.filter(v => v.Mask === 'true').map(v => v.Target).sort()).toEqual(Object.keys(SECRETS).sort());
	});

	it('one Label per label except Unraid\'s own and those the image sets', () => {
		const {of} = parse(xml);
		expect(of('Label').map(l => [l.Target, l.value, l.Display])).toEqual([
			['com.example.note', '<&> "quoted" $(touch PWNED)', 'advanced'],
			['org.opencontainers.image.title', 'jutsu-labs (staging)', 'advanced'],
		]);
	});

	it('a second run leaves the file as it is (byte-identical) and says so', () => {
		const before = readFileSync(FILE);
		const again = run();
		expect(again.code).toBe(0);
		expect(again.stdout.trim()).toBe('exists');
		expect(readFileSync(FILE).equals(before)).toBe(true);
	});
});

describe('the template script refuses what it cannot write, and writes nothing then', () => {
	it('a value with a control character XML cannot hold: exit 6, names the variable, not its value', () => {
		rmSync(FILE, {force: true});
		writeFixtures({...CONTAINER, Config: {...CONTAINER.Config, Env: [...CONTAINER.Config.Env, 'BELL=ring\u0007ring-secret-ish']}});
		const r = run();
		writeFixtures(CONTAINER);
		expect(r.code).toBe(6);
		expect(r.stderr).toContain('the value of BELL holds a control character');
		expect(r.stderr + r.stdout).not.toContain('ring-secret-ish');
		expect(readdirSync(templates)).toEqual([]);
	});

	it('no such container: exit 4; no folder: exit 3', () => {
		writeFileSync(join(fixtures, 'container.json'), '');
		const missing = run();
		writeFixtures(CONTAINER);
		expect(missing.code).toBe(4);
		expect(missing.stderr).toContain(`the container ${NAME} does not exist`);
		expect(readdirSync(templates)).toEqual([]);
		const noDir = run(templateScript(parseProfile({...SEED_PROFILE, unraid: {templatesDir: join(tmp, 'nowhere')}}, 'test')).toString());
		expect(noDir.code).toBe(3);
		expect(existsSync(join(tmp, 'nowhere'))).toBe(false);
	});
});

describe('the template step', () => {
	const transport = new LocalTransport({commandTimeoutMs: 30_000});
	const ctx = (p = profile): SetupContext => ({
		session: {profile: p, transport, transportFor: () => transport, audit: new AuditLog(undefined)} as unknown as Session,
		profile: p, git: (() => undefined) as unknown as SetupContext['git'], signal: new AbortController().signal, ciTimeoutMs: 1000, progress: () => undefined,
	});
	let savedPath: string | undefined;
	beforeAll(() => {
		savedPath = process.env.PATH;
		process.env.PATH = `${bin}:${process.env.PATH}`;
		rmSync(FILE, {force: true});
	});
	afterAll(() => {
		process.env.PATH = savedPath;
	});

	it('comes right after the container step', () => {
		const ids = setupSteps(profile).map(s => s.id);
		expect(ids.indexOf('template')).toBe(ids.indexOf('container') + 1);
	});

	it('on a host without the templates folder: done, "not an Unraid host"', async () => {
		const plain = parseProfile({...SEED_PROFILE, unraid: {templatesDir: join(tmp, 'no-boot')}}, 'test');
		const state = await templateStep(plain).inspect(ctx(plain));
		expect(state).toEqual({done: true, detail: `not an Unraid host (no ${join(tmp, 'no-boot')}); Docker's own config is kept`, preview: []});
	});

	it('inspect previews what it writes; run writes it; inspect then says done', async () => {
		const step = templateStep(profile);
		expect(step.title).toBe(`Unraid template my-${NAME}.xml`);
		const before = await step.inspect(ctx());
		expect(before.done).toBe(false);
		expect(before.preview.join('\n')).toContain(`write ${FILE}`);
		expect(before.preview.join('\n')).toContain('Mask="true"');
		const did = await step.run(ctx());
		expect(did).toMatch(new RegExp(`^wrote ${FILE.replace(/[.*+?^${}()|[\]\\]/gu, '\\$&')}: 3 ports, 3 paths, 14 variables \\(5 masked`, 'u'));
		for (const secret of Object.values(SECRETS)) expect(did.includes(secret)).toBe(false);
		const after = await step.inspect(ctx());
		expect(after).toMatchObject({done: true, detail: `${FILE} exists: the web UI manages ${NAME}`});
	});

	it('run fails with a stated state when the container does not exist', async () => {
		rmSync(FILE, {force: true});
		writeFileSync(join(fixtures, 'container.json'), '');
		await expect(templateStep(profile).run(ctx())).rejects.toThrow(/The template was not written: the container jutsu-labs-staging does not exist/u);
		writeFixtures(CONTAINER);
		expect(existsSync(FILE)).toBe(false);
	});
});
