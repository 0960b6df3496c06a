/**
 * The Unraid template of the staging container: dockerMan keeps one XML file per container it manages
 * (`<templatesDir>/my-<Name>.xml`); the web UI's edit and update re-create the container from it. A container made
 * with the Docker API (as `setup staging` does) has none, so the web UI cannot update it. This step writes one that
 * describes the container exactly as it runs, so the web UI re-creates the same container.
 *
 * The XML is built on the host with jq from `docker inspect`: env values (SECRET_KEY and the others) are written
 * there and never reach this tool; the script prints only names and counts.
 */
import type {Profile} from '../config/schema.js';
import {OpsError} from '../errors.js';
import {sh, type ShellScript} from '../quote.js';
import {scrubber} from '../secrets.js';
import type {SetupStep} from './staging.js';

/** Env vars dockerMan sets itself on every container it creates (it adds them again on re-create). */
const UNRAID_ENV = ['HOST_OS', 'HOST_HOSTNAME', 'HOST_CONTAINERNAME'];

/**
 * jq definitions shared by the XML and the summary. Input (jq -s): [docker inspect <container>, docker image inspect
 * <its image>]. `model($patterns)` is what the template holds: env vars set by the image (same NAME=VALUE) and labels
 * with the image's value are left out (the image brings them, and a template copy would pin them across updates),
 * as are Unraid's own labels (net.unraid.docker.*; WebUI and Icon come from two of them) and env vars.
 * `esc`: jq's @html maps < > & ' " to entities (' is &apos; in jq 1.6, &#39; in 1.7: both XML); tab, CR and LF become
 * character references so attribute values keep them (a parser turns a raw newline in an attribute into a space).
 */
export const TEMPLATE_MODEL_JQ = String.raw`
def esc: tostring | @html | gsub("\n"; "&#10;") | gsub("\r"; "&#13;") | gsub("\t"; "&#9;");
def xmlbad: tostring | explode | any(.[]; (. < 32 and . != 9 and . != 10 and . != 13) or . == 65534 or . == 65535);
def secret($patterns): ascii_upcase as $u | any($patterns[]; ascii_upcase as $p | $u | contains($p));
def shq: tostring | if test("^[A-Za-z0-9_@%+=:,./-]+$") then . else @sh end;
def anonymous: .Type == "volume" and ((.Name // "") | test("^[0-9a-f]{64}$"));
def model($patterns):
  .[0][0] as $c | ((.[1] // [])[0] // {}) as $i | ($i.Config // {}) as $ic | ($c.Config // {}) as $cfg |
  ($c.HostConfig // {}) as $hc | ($cfg.Labels // {}) as $labels |
  ($hc.NetworkMode // "default") as $mode | (if $mode == "default" or $mode == "" then "bridge" else $mode end) as $net |
  (if ($cfg.User // "") == ($ic.User // "") then "" else ($cfg.User // "") end) as $user |
  {
    name: (($c.Name // "") | ltrimstr("/")),
    repository: ($cfg.Image // ""),
    network: $net,
    myip: ((($c.NetworkSettings.Networks // {})[$net] // {}).IPAMConfig.IPv4Address // ""),
    privileged: ($hc.Privileged // false),
    webui: ($labels["net.unraid.docker.webui"] // ""),
    icon: ($labels["net.unraid.docker.icon"] // ""),
    extra: ([
      (($hc.RestartPolicy // {}) | if (.Name // "") == "" or .Name == "no" then empty
        elif .Name == "on-failure" and (.MaximumRetryCount // 0) > 0 then "--restart on-failure:\(.MaximumRetryCount)"
        else "--restart \(.Name | shq)" end),
      (if $user == "" then empty else "--user \($user | shq)" end),
      (($hc.CapAdd // [])[] | "--cap-add=\(shq)"),
      (($hc.CapDrop // [])[] | "--cap-drop=\(shq)"),
      (($hc.ExtraHosts // [])[] | "--add-host=\(shq)"),
      (($hc.Devices // [])[] | "--device=\("\(.PathOnHost):\(.PathInContainer):\(.CgroupPermissions // "rwm")" | shq)")
    ] | join(" ")),
    postargs: (if ($cfg.Cmd // []) == [] or $cfg.Cmd == $ic.Cmd then "" else ($cfg.Cmd | map(shq) | join(" ")) end),
    cpuset: ($hc.CpusetCpus // ""),
    installed: (try (($c.Created // "") | sub("\\.[0-9]+Z$"; "Z") | fromdateiso8601 | floor | tostring) catch ""),
    ports: ([($hc.PortBindings // {}) | to_entries[] | (.key | split("/")) as $k | (.value // [])[]
        | {target: $k[0], mode: ($k[1] // "tcp"), ip: (.HostIp // ""), port: (.HostPort // "")}
        | .value = ((if .ip == "" or .ip == "0.0.0.0" or .ip == "::" then "" elif (.ip | contains(":")) then "[\(.ip)]:" else "\(.ip):" end) + .port)]
      | sort_by((.target | tonumber? // 0), .mode, .value)),
    paths: ([($c.Mounts // [])[] | select(.Type == "bind" or (.Type == "volume" and (anonymous | not)))
        | {target: .Destination, value: (if .Type == "bind" then .Source else .Name end),
           mode: ((if .RW == false then "ro" else "rw" end)
             + ((.Propagation // "") as $p | if ($p | test("slave")) then ",slave" elif ($p | test("shared")) then ",shared" else "" end))}]
      | sort_by(.target)),
    vars: [($cfg.Env // [])[] | . as $e | select(any(($ic.Env // [])[]; . == $e) | not)
      | split("=") | {name: .[0], value: (.[1:] | join("="))}
      | select(.name as $n | $unraidEnv | index([$n]) | not)
      | .secret = (.name | secret($patterns))],
    labels: ([$labels | to_entries[] | select(.key | startswith("net.unraid.docker.") | not)
        | select(.key as $k | .value != (($ic.Labels // {})[$k]))
        | {name: .key, value: (.value // ""), secret: (.key | secret($patterns))}]
      | sort_by(.name)),
    left: [
      (if ($cfg.Entrypoint // null) != ($ic.Entrypoint // null) then "its entrypoint" else empty end),
      (if (($c.NetworkSettings.Networks // {}) | keys | map(select(. != $net)) | length) > 0 then "networks other than \($net)" else empty end),
      (if any(($c.Mounts // [])[]; anonymous) then "anonymous volumes" else empty end),
      (if ($hc.Tmpfs // {}) != {} then "tmpfs mounts" else empty end),
      (if ($hc.Memory // 0) > 0 or ($hc.NanoCpus // 0) > 0 then "memory/CPU limits" else empty end)
    ]
  };
`;

/** jq: the dockerMan template (version 2), every value and attribute XML-escaped. */
export const TEMPLATE_XML_JQ = TEMPLATE_MODEL_JQ + String.raw`
def el($n; $v): "  <\($n)>\($v | esc)</\($n)>";
def cfg($name; $target; $default; $mode; $type; $display; $mask; $value):
  "  <Config Name=\"\($name | esc)\" Target=\"\($target | esc)\" Default=\"\($default | esc)\" Mode=\"\($mode | esc)\" Description=\"\" Type=\"\($type)\" Display=\"\($display)\" Required=\"false\" Mask=\"\($mask)\">\($value | esc)</Config>";
model($patterns) as $m |
([
  "<?xml version=\"1.0\"?>",
  "<Container version=\"2\">",
  el("Name"; $m.name),
  el("Repository"; $m.repository),
  el("Registry"; ""),
  el("Network"; $m.network),
  el("MyIP"; $m.myip),
  el("Shell"; "sh"),
  el("Privileged"; $m.privileged),
  el("Support"; ""),
  el("Project"; ""),
  el("Overview"; $overview),
  el("Category"; ""),
  el("WebUI"; $m.webui),
  el("TemplateURL"; ""),
  el("Icon"; $m.icon),
  el("ExtraParams"; $m.extra),
  el("PostArgs"; $m.postargs),
  el("CPUset"; $m.cpuset),
  el("DateInstalled"; (if $m.installed == "" then $now else $m.installed end)),
  el("DonateText"; ""),
  el("DonateLink"; ""),
  el("Requires"; "")
]
+ [$m.ports[] | cfg("Port \(.target)/\(.mode)"; .target; .value; .mode; "Port"; "always"; "false"; .value)]
+ [$m.paths[] | cfg("Path \(.target)"; .target; .value; .mode; "Path"; "always"; "false"; .value)]
+ [$m.vars[] | cfg(.name; .name; (if .secret then "" else .value end); ""; "Variable"; "always"; .secret; .value)]
+ [$m.labels[] | cfg("Label \(.name)"; .name; (if .secret then "" else .value end); ""; "Label"; "advanced"; .secret; .value)]
+ ["</Container>"]) | join("\n")
`;

/**
 * jq: one line without any value. "bad:<why>" when a value cannot be written in XML 1.0 (a control character),
 * else "<n> ports, <n> paths, <n> variables (<n> masked: NAMES), <n> labels[; not in the template: ...]".
 */
export const TEMPLATE_SUMMARY_JQ = TEMPLATE_MODEL_JQ + String.raw`
model($patterns) as $m |
([
  (if ([$m.name, $m.repository, $m.network, $m.myip, $m.webui, $m.icon, $m.extra, $m.postargs, $m.cpuset] | any(.[]; xmlbad)) then "a container setting" else empty end),
  ($m.ports[] | select([.target, .mode, .value] | any(.[]; xmlbad)) | "a port"),
  ($m.paths[] | select([.target, .mode, .value] | any(.[]; xmlbad)) | "a path"),
  ($m.vars[] | select(.name | xmlbad) | "a variable name"),
  ($m.vars[] | select((.name | xmlbad | not) and (.value | xmlbad)) | "the value of \(.name)"),
  ($m.labels[] | select([.name, .value] | any(.[]; xmlbad)) | "a label")
] | unique) as $bad |
if ($bad | length) > 0 then "bad:" + ($bad | join(", ")) + " holds a control character that XML cannot hold"
else
  ([$m.vars[], $m.labels[] | select(.secret) | .name] | unique) as $masked |
  "\($m.ports | length) ports, \($m.paths | length) paths, \($m.vars | length) variables (\($masked | length) masked"
  + (if ($masked | length) > 0 then ": \($masked | join(" "))" else "" end)
  + "), \($m.labels | length) labels"
  + (if ($m.left | length) > 0 then "; not in the template: \($m.left | join(", "))" else "" end)
end
`;

const OVERVIEW = 'Written by jutsu-ops setup staging from the container\'s own configuration (docker inspect).';

export function templateDir(profile: Profile): string {
	return profile.unraid.templatesDir.replace(/\/+$/u, '') || '/';
}

export function templateFile(profile: Profile): string {
	return `${templateDir(profile)}/my-${profile.environments.staging.container}.xml`;
}

/**
 * One remote script: read the container's and its image's inspect, build the XML with jq, write it atomically
 * (temp file in the same folder, umask 077, mv). Prints "exists" when the file is already there (left alone), else
 * "wrote <file>: <summary>". Exit 3: no such folder; 4: no such container; 6: a value XML cannot hold; 7: cannot write.
 */
export function templateScript(profile: Profile): ShellScript {
	const dir = templateDir(profile);
	const container = profile.environments.staging.container;
	const patterns = JSON.stringify(profile.secretPatterns);
	const unraidEnv = JSON.stringify(UNRAID_ENV);
	return sh`for t in docker jq mktemp; do command -v "$t" >/dev/null 2>&1 || { echo "jutsu-ops: $t: command not found" >&2; exit 127; }; done
dir=${dir}
name=${container}
file="$dir/my-$name.xml"
[ -d "$dir" ] || { echo "jutsu-ops: $dir does not exist (not an Unraid host)" >&2; exit 3; }
if [ -e "$file" ]; then echo exists; exit 0; fi
src=$(docker inspect --type container "$name" 2>/dev/null) || { echo "jutsu-ops: the container $name does not exist" >&2; exit 4; }
img=$(printf '%s' "$src" | jq -r '.[0].Image') || { echo "jutsu-ops: docker inspect $name could not be read" >&2; exit 5; }
imgjson=$(docker image inspect "$img" 2>/dev/null) || imgjson='[]'
both() { printf '%s\n%s\n' "$src" "$imgjson"; }
summary=$(both | jq -s -r --argjson patterns ${patterns} --argjson unraidEnv ${unraidEnv} ${TEMPLATE_SUMMARY_JQ}) || { echo "jutsu-ops: docker inspect $name could not be read" >&2; exit 5; }
case "$summary" in bad:*) echo "jutsu-ops: \${summary#bad:}" >&2; exit 6 ;; esac
umask 077
tmp=$(mktemp "$dir/.my-$name.xml.XXXXXX") || { echo "jutsu-ops: cannot write in $dir" >&2; exit 7; }
trap 'rm -f "$tmp"' EXIT
trap 'rm -f "$tmp"; exit 130' HUP INT TERM
both | jq -s -r --argjson patterns ${patterns} --argjson unraidEnv ${unraidEnv} --arg overview ${OVERVIEW} --arg now "$(date +%s)" ${TEMPLATE_XML_JQ} >"$tmp" || { echo "jutsu-ops: building the template failed" >&2; exit 5; }
mv -f "$tmp" "$file" || { echo "jutsu-ops: could not move the template into place in $dir" >&2; exit 7; }
trap - EXIT HUP INT TERM
echo "wrote $file: $summary"`;
}

const firstLine = (text: string) => text.trim().split('\n').find(Boolean) ?? '';

export function templateStep(profile: Profile): SetupStep {
	const {staging} = profile.environments;
	const dir = templateDir(profile);
	const file = templateFile(profile);
	const title = `Unraid template my-${staging.container}.xml`;
	const untouched = `Nothing was written in ${dir}; ${staging.container} was not touched.`;
	return {
		id: 'template', title,
		async inspect(ctx) {
			const transport = ctx.session.transportFor('staging');
			const r = await transport.exec(sh`if [ -d ${dir} ]; then if [ -e ${file} ]; then echo exists; else echo missing; fi; else echo no-dir; fi`, {signal: ctx.signal, timeoutMs: 20_000});
			const state = r.stdout.trim();
			if (r.code !== 0 || !['exists', 'missing', 'no-dir'].includes(state)) {
				throw new OpsError('remote', `Could not look for ${file} on ${transport.label}: ${firstLine(scrubber.scrub(r.stderr)) || `exit ${r.code}`}`, {hint: 'Nothing was changed.'});
			}
			if (state === 'no-dir') return {done: true, detail: `not an Unraid host (no ${dir}); Docker's own config is kept`, preview: []};
			if (state === 'exists') return {done: true, detail: `${file} exists: the web UI manages ${staging.container}`, preview: []};
			return {done: false, detail: `${file} does not exist: the web UI cannot update ${staging.container}`, preview: [
				`write ${file} on ${transport.label} (temp file in the same folder + mv, umask 077), built there with jq from docker inspect ${staging.container} and its image's inspect`,
				`dockerMan template version 2: Name ${staging.container}, Repository ${staging.image}:${staging.tag}, its network, ExtraParams --restart <its policy>, WebUI/Icon from its labels`,
				'one <Config> per published port, bind mount, env var the image does not set, label (not net.unraid.docker.*)',
				`env values are written on the host only and never shown; names matching ${profile.secretPatterns.join('/')} get Mask="true"`,
			]};
		},
		async run(ctx) {
			const transport = ctx.session.transportFor('staging');
			const r = await transport.exec(templateScript(profile), {signal: ctx.signal, timeoutMs: 60_000});
			const why = firstLine(scrubber.scrub(r.stderr).split('\n').filter(l => l.startsWith('jutsu-ops:')).join('\n') || scrubber.scrub(r.stderr)).replace(/^jutsu-ops: /u, '');
			if (r.code === 0) {
				const out = firstLine(r.stdout);
				return out === 'exists' ? `${file} was already there (left as it is)` : out;
			}
			if (r.code === 4) throw new OpsError('failure', `The template was not written: ${why}.`, {untouched, hint: 'The container step creates it: run setup staging again.'});
			if (r.code === 6) throw new OpsError('failure', `The template was not written: ${why}.`, {untouched, hint: `Write the template in Unraid's web UI (Docker > Add Container), or change that value.`});
			if (r.code === 127) throw new OpsError('missing-tool', `The template was not written: ${why} on ${transport.label}.`, {untouched});
			throw new OpsError('failure', `Writing ${file} failed (exit ${r.code ?? r.signal ?? '?'}): ${why || 'no message'}.`, {untouched, hint: 'Fix the cause, then run setup staging again: done steps are skipped.'});
		},
	};
}
