/**
 * Runs a batch job inside a throwaway QEMU guest that boots a stock Debian kernel (which has
 * ipvlan, dummy, ...). The guest sees the host's root filesystem read-only (so it has this
 * checkout, Deno and iproute2), chroots into it, and runs `job.sh` from a writable share; see
 * `.ci/vm_setup.sh` for the guest side. The guest's network is its own: nothing here touches
 * the host's interfaces.
 *
 * @module
 */

export interface VmImage {
  kernel: string;
  initrd: string;
  /** The unpacked kernel package (modules), as the guest sees it too. */
  modules: string;
  kernelVersion: string;
}

export interface VmJob {
  /** A bash script, run as root in the guest with `/tmp/job` (the shared folder) as its cwd. */
  script: string;
  /** Hard limit for the whole VM run (boot included); QEMU is killed when it passes. */
  timeoutMs: number;
  /** Extra files to put in the shared folder (name → text). */
  files?: Record<string, string>;
}

export interface VmResult {
  /** The job's exit code; `null` when the guest never reported one (crash, timeout). */
  exitCode: number | null;
  stdout: string;
  stderr: string;
  /** Text files the job left in the shared folder (name relative to it → contents). */
  files: Record<string, string>;
  /** The guest's serial console (kernel and init messages). */
  console: string;
  timedOut: boolean;
  /** From QEMU start to the guest's init starting the job; `null` if it never got there. */
  bootMs: number | null;
  totalMs: number;
}

const ROOT = new URL("..", import.meta.url).pathname;
const decoder = new TextDecoder();

/** Runs `.ci/vm_setup.sh` (idempotent) and returns the paths it prints. */
export async function prepareVm(): Promise<VmImage> {
  const out = await new Deno.Command("bash", {
    args: [`${ROOT}.ci/vm_setup.sh`],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stdout = decoder.decode(out.stdout);
  if (!out.success) {
    throw new Error(`vm_setup.sh failed (${out.code}): ${decoder.decode(out.stderr)}${stdout}`);
  }
  const vars = Object.fromEntries(
    stdout.split("\n").map((l) => l.match(/^(NETFORM_VM_\w+)=(.*)$/)).filter((m) => m !== null)
      .map((m) => [m[1], m[2]]),
  );
  const need = (k: string): string => {
    const v = vars[k];
    if (v === undefined) throw new Error(`vm_setup.sh did not print ${k}:\n${stdout}`);
    return v;
  };
  return {
    kernel: need("NETFORM_VM_KERNEL"),
    initrd: need("NETFORM_VM_INITRD"),
    modules: need("NETFORM_VM_MODULES"),
    kernelVersion: need("NETFORM_VM_KVER"),
  };
}

/** Boots one guest, runs `job`, collects results, and always removes the QEMU process and temp dir. */
export async function runInVm(job: VmJob, image?: VmImage): Promise<VmResult> {
  const img = image ?? await prepareVm();
  const dir = await Deno.makeTempDir({ prefix: "netform-vm-job-" });
  const started = performance.now();
  let child: Deno.ChildProcess | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    await Deno.writeTextFile(`${dir}/job.sh`, job.script);
    // The guest's own limit on the job leaves room for boot and shutdown.
    const guestLimit = Math.max(10, Math.floor((job.timeoutMs - 15_000) / 1000));
    await Deno.writeTextFile(`${dir}/timeout`, `${guestLimit}\n`);
    for (const [name, text] of Object.entries(job.files ?? {})) {
      await Deno.writeTextFile(`${dir}/${name}`, text);
    }
    // QEMU runs under coreutils `timeout`, so it dies on time even if this process is killed
    // first. `timeout` leads its own process group; `stop` kills that whole group.
    const hardLimit = Math.ceil(job.timeoutMs / 1000) + 5;
    child = new Deno.Command("timeout", {
      args: [
        "--signal=KILL",
        String(hardLimit),
        "qemu-system-x86_64",
        "-accel",
        "tcg",
        "-cpu",
        "max",
        "-m",
        "2048",
        "-smp",
        "2",
        "-nographic",
        "-no-reboot",
        "-nodefaults",
        "-serial",
        "stdio",
        "-net",
        "none",
        "-kernel",
        img.kernel,
        "-initrd",
        img.initrd,
        "-append",
        "console=ttyS0 loglevel=3 panic=-1",
        "-fsdev",
        "local,id=r,path=/,security_model=none,readonly=on,multidevs=remap",
        "-device",
        "virtio-9p-pci,fsdev=r,mount_tag=hostroot",
        "-fsdev",
        `local,id=j,path=${dir},security_model=none,multidevs=remap`,
        "-device",
        "virtio-9p-pci,fsdev=j,mount_tag=job",
      ],
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const proc = child;
    let timedOut = false;
    timer = setTimeout(() => {
      timedOut = true;
      void stop(proc);
    }, job.timeoutMs);

    let consoleText = "";
    let bootMs: number | null = null;
    const readConsole = (async () => {
      for await (const chunk of proc.stdout) {
        consoleText += decoder.decode(chunk, { stream: true });
        if (bootMs === null && consoleText.includes("init: running job")) {
          bootMs = Math.round(performance.now() - started);
        }
      }
    })();
    const readErr = new Response(proc.stderr).text();
    const status = await proc.status;
    clearTimeout(timer);
    timer = undefined;
    await readConsole;
    const qemuErr = await readErr;

    const files: Record<string, string> = {};
    for await (const entry of walk(dir, "")) {
      if (entry === "job.sh" || entry === "timeout") continue;
      try {
        files[entry] = await Deno.readTextFile(`${dir}/${entry}`);
      } catch { /* unreadable or binary: skip */ }
    }
    const code = files["exitcode"]?.trim();
    return {
      exitCode: code !== undefined && /^\d+$/.test(code) ? Number(code) : null,
      stdout: files["stdout"] ?? "",
      stderr: files["stderr"] ?? "",
      files,
      console: consoleText + (status.success ? "" : `\n[qemu exit ${status.code}] ${qemuErr}`),
      timedOut,
      bootMs,
      totalMs: Math.round(performance.now() - started),
    };
  } finally {
    if (timer !== undefined) clearTimeout(timer);
    if (child !== undefined) {
      await stop(child);
      await child.status.catch(() => {});
    }
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}

/**
 * Ends `timeout` and QEMU: SIGTERM first (`timeout` passes it on to QEMU and reaps it), then,
 * if they are still there after 2 s, SIGKILL to the whole process group.
 */
async function stop(child: Deno.ChildProcess): Promise<void> {
  try {
    child.kill("SIGTERM");
  } catch {
    return; // already exited
  }
  let timer: ReturnType<typeof setTimeout> | undefined;
  const exited = await Promise.race([
    child.status.then(() => true),
    new Promise<boolean>((done) => timer = setTimeout(() => done(false), 2000)),
  ]);
  clearTimeout(timer);
  if (exited) return;
  try {
    Deno.kill(-child.pid, "SIGKILL");
  } catch { /* the group is gone */ }
  try {
    child.kill("SIGKILL");
  } catch { /* already exited */ }
}

async function* walk(dir: string, rel: string): AsyncGenerator<string> {
  for await (const e of Deno.readDir(rel === "" ? dir : `${dir}/${rel}`)) {
    const path = rel === "" ? e.name : `${rel}/${e.name}`;
    if (e.isDirectory) yield* walk(dir, path);
    else if (e.isFile) yield path;
  }
}

/** Where the guest sees a host path: the host's root is mounted at /tmp/host in the guest. */
export function guestPath(hostPath: string): string {
  return `/tmp/host${hostPath}`;
}

/** The host's Deno cache folder (DENO_DIR), as `deno info` reports it. */
export async function hostDenoDir(): Promise<string> {
  const env = Deno.env.get("DENO_DIR");
  if (env) return env;
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json"],
    stdout: "piped",
    stderr: "null",
  }).output();
  return JSON.parse(decoder.decode(out.stdout)).denoDir as string;
}

/** The folders the guest's init covers with a tmpfs (see .ci/vm_setup.sh). */
const HIDDEN_IN_GUEST = ["/tmp/", "/root/", "/run/"];

/**
 * Where the guest finds a host path: the path itself when the guest sees it there, so that
 * module URLs are the host's and the host's transpile and V8 code caches (keyed by URL) apply;
 * otherwise through the read-only view of the host's root at /tmp/host.
 */
export function guestVisiblePath(hostPath: string): string {
  return HIDDEN_IN_GUEST.some((d) => hostPath.startsWith(d)) ? guestPath(hostPath) : hostPath;
}

/**
 * Loads `files` (and so every module they import) once on the host without running a test, so
 * that Deno's caches hold their transpiled code and V8 code cache. The guest reads the host's
 * cache read-only and runs under TCG, where compiling everything anew took about 2× as long.
 */
export async function warmDenoCache(files: string[]): Promise<void> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["test", "-A", "--no-check", "--filter", "/^netform-vm-warm-up-runs-no-test$/", ...files],
    cwd: ROOT,
    stdout: "null",
    stderr: "piped",
  }).output();
  if (!out.success) {
    throw new Error(
      `warming Deno's cache for ${files.join(" ")} failed: ${decoder.decode(out.stderr)}`,
    );
  }
}

/**
 * A job script that runs `deno test` on `files` (relative to the checkout) inside the guest,
 * with the host's own Deno binary and module cache (the guest has no network). Writes JUnit XML
 * to `junit.xml` in the shared folder; notes from the tests go to `notes.txt`.
 */
export async function denoTestJob(
  files: string[],
  options: { env?: Record<string, string> } = {},
): Promise<string> {
  const deno = guestPath(Deno.execPath());
  const denoDir = guestPath(await hostDenoDir());
  const checkout = guestVisiblePath(ROOT.replace(/\/$/, ""));
  const quote = (v: string) => `'${v.replaceAll("'", "'\\''")}'`;
  const quoted = files.map(quote).join(" ");
  const env = Object.entries(options.env ?? {}).filter(([k]) => /^[A-Z_][A-Z0-9_]*$/.test(k))
    .map(([k, v]) => `export ${k}=${quote(v)}\n`).join("");
  return `set -u
export DENO_DIR='${denoDir}' NO_COLOR=1 DENO_NO_UPDATE_CHECK=1 NETFORM_VM_NOTES=/tmp/job/notes.txt
${env}cd '${checkout}'
'${deno}' test -A --no-check --cached-only --reporter=dot --junit-path=/tmp/job/junit.xml ${quoted}
`;
}

export interface JunitCase {
  name: string;
  classname: string;
  seconds: number;
  /** The failure message and details; undefined when the case passed. */
  failure?: string;
  skipped: boolean;
}

/** The test cases of a JUnit XML report (as Deno writes it). */
export function parseJunit(xml: string): JunitCase[] {
  const unescape = (s: string) =>
    s.replaceAll("&lt;", "<").replaceAll("&gt;", ">").replaceAll("&quot;", '"')
      .replaceAll("&apos;", "'").replaceAll("&#10;", "\n").replaceAll("&amp;", "&");
  const attr = (tag: string, name: string) => {
    const m = tag.match(new RegExp(`\\s${name}="([^"]*)"`));
    return m ? unescape(m[1]!) : "";
  };
  const cases: JunitCase[] = [];
  const re = /<testcase\b([^>]*?)(\/>|>([\s\S]*?)<\/testcase>)/g;
  for (const m of xml.matchAll(re)) {
    const tag = m[1]!;
    const body = m[3] ?? "";
    const failure = body.match(/<(failure|error)\b([^>]*?)(?:\/>|>([\s\S]*?)<\/\1>)/);
    cases.push({
      name: attr(tag, "name"),
      classname: attr(tag, "classname"),
      seconds: Number(attr(tag, "time")) || 0,
      failure: failure
        ? [attr(` ${failure[2]}`, "message"), unescape(failure[3] ?? "")].filter((s) => s).join(
          "\n",
        )
        : undefined,
      skipped: /<skipped\b/.test(body),
    } as JunitCase);
  }
  return cases;
}
