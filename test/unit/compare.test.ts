import {describe, expect, it} from 'vitest';
import {envDiff, sideBySide} from '../../source/core/docker/compare.js';
import {MASK, maskEnv} from '../../source/core/secrets.js';
import {container} from '../support/fixtures.js';

describe('envDiff', () => {
	const production = maskEnv(['ENVIRONMENT=production', 'ADMIN_PASSWORD=shared-admin', 'SECRET_KEY=prod-key-1', 'POSTGRES_USER=jutsu', 'SCHWAB_CLIENT_ID=abc', 'EMPTY_TOKEN=']);
	const staging = maskEnv(['ENVIRONMENT=staging', 'ADMIN_PASSWORD=shared-admin', 'SECRET_KEY=staging-key-2', 'POSTGRES_USER=jutsu', 'LOG_LEVEL=DEBUG', 'EMPTY_TOKEN=']);
	const rows = envDiff(production, staging);
	const row = (name: string) => rows.find(r => r.name === name)!;

	it('shows equal secrets as same by hash, different secrets as different, and never a value', () => {
		expect(row('ADMIN_PASSWORD')).toMatchObject({status: 'same', secret: true, production: MASK, staging: MASK});
		expect(row('SECRET_KEY')).toMatchObject({status: 'different', secret: true, production: MASK, staging: MASK});
		expect(row('EMPTY_TOKEN')).toMatchObject({status: 'same', production: '(empty)'});
		const text = JSON.stringify(rows);
		for (const secret of ['shared-admin', 'prod-key-1', 'staging-key-2']) expect(text).not.toContain(secret);
	});

	it('compares plain values and marks names present on one side only', () => {
		expect(row('ENVIRONMENT')).toMatchObject({status: 'different', production: 'production', staging: 'staging'});
		expect(row('POSTGRES_USER').status).toBe('same');
		expect(row('LOG_LEVEL')).toMatchObject({status: 'only-staging', production: undefined});
		expect(row('SCHWAB_CLIENT_ID')).toMatchObject({status: 'only-production', staging: undefined});
		expect(rows.map(r => r.name)).toEqual([...rows.map(r => r.name)].sort());
	});
});

describe('sideBySide', () => {
	it('puts production and staging facts in rows, with the update state in words', () => {
		const p = container({name: 'jutsu-labs', repoDigests: [`ankugo/jutsu-labs@sha256:${'1'.repeat(64)}`], restartCount: 2});
		const rows = sideBySide(p, undefined, {production: {state: 'update-available', remoteDigest: 'x', localDigests: []}});
		const get = (label: string) => rows.find(r => r.label === label)!;
		expect(get('container')).toMatchObject({production: 'jutsu-labs', staging: 'not found'});
		expect(get('digest').production).toBe('111111111111');
		expect(get('restarts').production).toBe('2');
		expect(get('update')).toMatchObject({production: 'update available', staging: 'checking…'});
	});
});
