import {z} from 'zod';
import {DEFAULT_SECRET_PATTERNS} from '../secrets.js';

const port = z.number().int().min(1).max(65_535);

export const hostSchema = z.object({
	alias: z.string().min(1).default('tower.local'),
	port: port.optional(),
	user: z.string().min(1).optional(),
	identityFile: z.string().min(1).optional(),
	knownHosts: z.string().min(1).optional(),
}).strict();

const envVarsExpect = z.record(z.string(), z.string());

export const environmentSchema = z.object({
	container: z.string().min(1),
	image: z.string().min(1).default('ankugo/jutsu-labs'),
	tag: z.string().min(1),
	branch: z.string().min(1),
	apiPort: port,
	uiPort: port,
	database: z.string().min(1),
	expect: envVarsExpect.default({}),
	/** The host this environment's container runs on, when it is not the profile's host. */
	host: hostSchema.optional(),
}).strict();

export const profileSchema = z.object({
	host: hostSchema.default({alias: 'tower.local'}),
	registry: z.object({
		kind: z.enum(['dockerhub', 'v2']).default('dockerhub'),
		url: z.string().url().optional(),
	}).strict().default({kind: 'dockerhub'}),
	postgres: z.object({
		host: z.string().min(1).default('tower.local'),
		port: port.default(5423),
		user: z.string().min(1).default('jutsu'),
		via: z.enum(['direct', 'ssh']).default('direct'),
		container: z.string().min(1).optional(),
	}).strict().default({host: 'tower.local', port: 5423, user: 'jutsu', via: 'direct'}),
	environments: z.object({
		production: environmentSchema,
		staging: environmentSchema,
	}).strict(),
	app: z.object({
		healthPath: z.string().startsWith('/').default('/api/health'),
		environmentPath: z.string().startsWith('/').default('/api/status/environment'),
		tradingStartPath: z.string().startsWith('/').default('/api/trading/start'),
	}).strict().default({healthPath: '/api/health', environmentPath: '/api/status/environment', tradingStartPath: '/api/trading/start'}),
	sync: z.object({
		script: z.string().min(1).default('/mnt/user/appdata/jutsu/scripts/sync_staging.sh'),
		log: z.string().min(1).default('/mnt/user/appdata/jutsu/logs/staging_sync.log'),
		tables: z.array(z.string().min(1)).min(1).default(['market_data', 'performance_snapshots']),
		schedule: z.string().min(1).default('0 2 * * *'),
		timezone: z.string().min(1).default('America/New_York'),
		maxAgeHours: z.number().positive().default(26),
	}).strict().default({
		script: '/mnt/user/appdata/jutsu/scripts/sync_staging.sh',
		log: '/mnt/user/appdata/jutsu/logs/staging_sync.log',
		tables: ['market_data', 'performance_snapshots'],
		schedule: '0 2 * * *',
		timezone: 'America/New_York',
		maxAgeHours: 26,
	}),
	repo: z.object({
		path: z.string().min(1).default('.'),
		remote: z.string().min(1).default('origin'),
		featurePrefix: z.string().min(1).default('feature/'),
		origin: z.string().min(1).optional(),
	}).strict().default({path: '.', remote: 'origin', featurePrefix: 'feature/'}),
	secretPatterns: z.array(z.string().min(1)).default([...DEFAULT_SECRET_PATTERNS]),
	timeouts: z.object({
		connectMs: z.number().int().positive().default(10_000),
		commandMs: z.number().int().positive().default(30_000),
	}).strict().default({connectMs: 10_000, commandMs: 30_000}),
	unraid: z.object({
		/** dockerMan's user templates: a container with my-<name>.xml here is managed by Unraid's web UI. */
		templatesDir: z.string().startsWith('/').default('/boot/config/plugins/dockerMan/templates-user'),
	}).strict().default({templatesDir: '/boot/config/plugins/dockerMan/templates-user'}),
	logs: z.object({
		bufferLines: z.number().int().min(100).max(1_000_000).default(5000),
	}).strict().default({bufferLines: 5000}),
}).strict();

export type Profile = z.infer<typeof profileSchema>;
export type ProfileInput = z.input<typeof profileSchema>;
export type EnvironmentName = 'production' | 'staging';
export type EnvironmentProfile = z.infer<typeof environmentSchema>;
export type HostProfile = z.infer<typeof hostSchema>;
export const ENVIRONMENT_NAMES: readonly EnvironmentName[] = ['production', 'staging'];

/** The seed's layout (staging-architecture.md), used when no profile exists yet. */
export const SEED_PROFILE: ProfileInput = {
	host: {alias: 'tower.local', user: 'root'},
	registry: {kind: 'dockerhub'},
	postgres: {host: 'tower.local', port: 5423, user: 'jutsu', via: 'direct'},
	environments: {
		production: {
			container: 'jutsu-labs', image: 'ankugo/jutsu-labs', tag: 'latest', branch: 'main',
			apiPort: 8001, uiPort: 3001, database: 'jutsu_labs',
			expect: {SCHWAB_ENABLED: 'true', PAPER_TRADING_ONLY: 'false', ENVIRONMENT: 'production'},
		},
		staging: {
			container: 'jutsu-labs-staging', image: 'ankugo/jutsu-labs', tag: 'staging', branch: 'staging',
			apiPort: 8002, uiPort: 3002, database: 'jutsu_labs_staging',
			expect: {SCHWAB_ENABLED: 'false', PAPER_TRADING_ONLY: 'true', ENVIRONMENT: 'staging'},
		},
	},
};
