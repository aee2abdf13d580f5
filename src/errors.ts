/**
 * One small error hierarchy. Every error carries structured data; messages are
 * sentence case, action first, detail after a colon, values quoted.
 *
 * @module
 */

/** Base of every error netform raises on purpose. */
export class NetformError extends Error {
  override name = "NetformError";
}

/** One problem found in a manifest. */
export interface ManifestIssue {
  /** Dotted path in the manifest, e.g. `namespaces.ns1.links.ipvl1.parent`. */
  path: string;
  message: string;
  /** What to do about it. */
  hint?: string;
}

/** A manifest that cannot be loaded or is invalid. Nothing was changed. */
export class ManifestError extends NetformError {
  override name = "ManifestError";
  constructor(
    readonly file: string,
    readonly issues: readonly ManifestIssue[],
    options?: ErrorOptions,
  ) {
    super(
      `Invalid manifest "${file}": ` +
        issues.map((i) =>
          `${i.path ? i.path + ": " : ""}${i.message}${i.hint ? ` (${i.hint})` : ""}`
        )
          .join("; "),
      options,
    );
  }
}

/** The desired state cannot be reached from the observed one (a conflict, a missing link). */
export class PlanError extends NetformError {
  override name = "PlanError";
  constructor(message: string, readonly addresses: readonly string[] = [], options?: ErrorOptions) {
    super(message, options);
  }
}

/** Error classes a kernel (real or simulated) reports, by errno name. */
export type KernelErrorCode =
  | "EEXIST"
  | "ENODEV"
  | "EBUSY"
  | "EINVAL"
  | "EADDRINUSE"
  | "EADDRNOTAVAIL"
  | "ENOENT"
  | "ESRCH"
  | "EOPNOTSUPP"
  | "ENETUNREACH"
  | "EHOSTUNREACH"
  | "ENETDOWN"
  | "ELOOP"
  | "EPERM"
  | "ERANGE"
  | "ENOTSUP"
  | "EINTR"
  | "ENOMEM"
  | "EACCES"
  | "EMSGSIZE"
  | "EPROTONOSUPPORT"
  | "EAFNOSUPPORT"
  | "ENOBUFS";

/** Numeric errno values (Linux, x86_64). */
export const ERRNO: Readonly<Record<KernelErrorCode, number>> = {
  EPERM: 1,
  ENOENT: 2,
  ESRCH: 3,
  EBUSY: 16,
  EEXIST: 17,
  ENODEV: 19,
  EINVAL: 22,
  ERANGE: 34,
  ELOOP: 40,
  EOPNOTSUPP: 95,
  EADDRINUSE: 98,
  EADDRNOTAVAIL: 99,
  ENETDOWN: 100,
  ENETUNREACH: 101,
  EHOSTUNREACH: 113,
  ENOTSUP: 524,
  EINTR: 4,
  ENOMEM: 12,
  EACCES: 13,
  EMSGSIZE: 90,
  EPROTONOSUPPORT: 93,
  EAFNOSUPPORT: 97,
  ENOBUFS: 105,
};

/** A kernel refused an operation. `code` is the errno name; `kernelMessage` the extended ack. */
export class KernelError extends NetformError {
  override name = "KernelError";
  constructor(
    readonly code: KernelErrorCode,
    readonly action: string,
    readonly kernelMessage?: string,
    options?: ErrorOptions,
  ) {
    super(`${action}: ${kernelMessage ?? describeErrno(code)} (${code})`, options);
  }
  get errno(): number {
    return ERRNO[this.code];
  }
}

function describeErrno(code: KernelErrorCode): string {
  switch (code) {
    case "EEXIST":
      return "File exists";
    case "ENODEV":
      return "No such device";
    case "EBUSY":
      return "Device or resource busy";
    case "EINVAL":
      return "Invalid argument";
    case "EADDRINUSE":
      return "Address already in use";
    case "EADDRNOTAVAIL":
      return "Cannot assign requested address";
    case "ENOENT":
      return "No such file or directory";
    case "ESRCH":
      return "No such process";
    case "EOPNOTSUPP":
      return "Operation not supported";
    case "ENETUNREACH":
      return "Network is unreachable";
    case "EHOSTUNREACH":
      return "No route to host";
    case "ENETDOWN":
      return "Network is down";
    case "ELOOP":
      return "Too many levels of symbolic links";
    case "EPERM":
      return "Operation not permitted";
    case "ERANGE":
      return "Numerical result out of range";
    case "ENOTSUP":
      return "Unknown error 524";
    case "EINTR":
      return "Interrupted system call";
    case "ENOMEM":
      return "Cannot allocate memory";
    case "EACCES":
      return "Permission denied";
    case "EMSGSIZE":
      return "Message too long";
    case "EPROTONOSUPPORT":
      return "Protocol not supported";
    case "EAFNOSUPPORT":
      return "Address family not supported by protocol";
    case "ENOBUFS":
      return "No buffer space available";
  }
}

/**
 * What became of the steps done before a failure: undone and checked
 * (`restored`), undone but the host still differs (`incomplete`), or kept
 * because rollback was off (`kept`).
 */
export type RollbackOutcome = "restored" | "incomplete" | "kept";

/**
 * Applying a plan failed part-way; says what was done before the failure,
 * what was undone, and whether the host is back to where it was.
 */
export class ApplyError extends NetformError {
  override name = "ApplyError";
  /** Steps undone by the rollback, in the order undone. */
  readonly undone: readonly string[];
  readonly rollback: RollbackOutcome;
  /** The message without the journal: one line. */
  readonly summary: string;
  /**
   * The journal, one line per step (`  done    create veth "v1" …`), printed
   * under the summary. Kept apart so that each is printed as one line even when
   * a name in it has a newline (see `report` in `src/cli/main.ts`).
   */
  readonly journal: readonly string[];
  constructor(
    message: string,
    readonly done: readonly string[],
    readonly failed: string,
    options?: ErrorOptions & {
      undone?: readonly string[];
      rollback?: RollbackOutcome;
      journal?: readonly string[];
    },
  ) {
    const journal = options?.journal ?? [];
    super(journal.length === 0 ? message : `${message}\n${journal.join("\n")}`, options);
    this.summary = message;
    this.journal = journal;
    this.undone = options?.undone ?? [];
    this.rollback = options?.rollback ?? "kept";
  }
}

/** Another netform holds the host (or the sim state file); names the holder. */
export class LockError extends NetformError {
  override name = "LockError";
  constructor(message: string, readonly holderPid?: number) {
    super(message);
  }
}

/** A saved plan was computed from a state that has changed since; names what changed. */
export class StalePlanError extends NetformError {
  override name = "StalePlanError";
  constructor(message: string, readonly changed: readonly string[], options?: ErrorOptions) {
    super(message, options);
  }
}

/** After apply, observing again still shows differences from the desired state. */
export class VerifyError extends NetformError {
  override name = "VerifyError";
  constructor(message: string, readonly remaining: readonly string[]) {
    super(message);
  }
}

/** Bad command-line use, an unreadable file, a missing driver. */
export class UsageError extends NetformError {
  override name = "UsageError";
}
