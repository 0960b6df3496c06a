import {mkdtempSync, readFileSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {beforeAll, describe, expect, it} from 'vitest';
import {loadProfile, loadStoreModule, saveProfile} from '../../source/core/config/load.js';
import {SEED_PROFILE} from '../../source/core/config/schema.js';
import {OpsError} from '../../source/core/errors.js';

const dir = mkdtempSync(join(tmpdir(), 'cfg-'));

function writeConfig(name: string, text: string): string {
	const file = join(dir, name);
	writeFileSync(file, text);
	return file;
}

function loadError(file: string): OpsError {
	try {
		loadProfile({configFile: file});
	} catch (error) {
		return error as OpsError;
	}
	throw new Error('expected an error');
}

describe('config', () => {
	beforeAll(loadStoreModule);

	it('fills the seed defaults around a minimal profile', () => {
		const file = writeConfig('min.json', JSON.stringify({environments: SEED_PROFILE.environments}));
		const {profile} = loadProfile({configFile: file});
		expect(profile.postgres.port).toBe(5423);
		expect(profile.sync.tables).toEqual(['market_data', 'performance_snapshots']);
		expect(profile.environments.staging.expect.PAPER_TRADING_ONLY).toBe('true');
	});

	it('names the bad key and value range, and leaves the file as it was', () => {
		const text = JSON.stringify({host: {alias: 'x', port: 70_000}, environments: SEED_PROFILE.environments});
		const file = writeConfig('port.json', text);
		const error = loadError(file);
		expect(error).toBeInstanceOf(OpsError);
		expect(error.exitCode).toBe(2);
		expect(error.message).toContain('host.port');
		expect(error.message).toContain(file);
		expect(readFileSync(file, 'utf8')).toBe(text);
	});

	it('rejects unknown keys (a typo is not silently ignored)', () => {
		const file = writeConfig('typo.json', JSON.stringify({hots: {alias: 'x'}, environments: SEED_PROFILE.environments}));
		expect(loadError(file).message).toMatch(/hots|Unrecognized/u);
	});

	it('explains malformed JSON with the file name', () => {
		const file = writeConfig('broken.json', '{"host": ');
		const error = loadError(file);
		expect(error.message).toMatch(/not valid JSON/u);
		expect(error.toLines()[1]).toMatch(/left as it is/u);
	});

	it('lets flags override the profile host', () => {
		const file = writeConfig('ok.json', JSON.stringify({environments: SEED_PROFILE.environments}));
		const {profile} = loadProfile({configFile: file, overrides: {host: '127.0.0.1', port: 2222, user: 'ops'}});
		expect(profile.host).toMatchObject({alias: '127.0.0.1', port: 2222, user: 'ops'});
	});

	it('stores profiles with conf and reads them back by name; the seed is used when none exists', () => {
		const store = mkdtempSync(join(tmpdir(), 'store-'));
		expect(loadProfile({storeDir: store}).source).toBe('seed defaults');
		const {profile} = loadProfile({storeDir: store});
		profile.host.alias = 'tower-lab';
		saveProfile('lab', profile, store);
		const loaded = loadProfile({storeDir: store, profile: 'lab'});
		expect(loaded.profile.host.alias).toBe('tower-lab');
		expect(() => loadProfile({storeDir: store, profile: 'missing'})).toThrow(/No stored profile named "missing"/u);
	});

	it('refuses to read a corrupted store and does not overwrite it', () => {
		const store = mkdtempSync(join(tmpdir(), 'store-'));
		const file = join(store, 'config.json');
		writeFileSync(file, '{not json');
		expect(() => loadProfile({storeDir: store})).toThrow(/cannot be read/u);
		expect(readFileSync(file, 'utf8')).toBe('{not json');
	});
});
