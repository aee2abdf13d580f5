#!/usr/bin/env bash
# Prepares a small QEMU guest with a stock Debian kernel (which has ipvlan, dummy, ...), for the
# real-kernel tests in tests/vm/. Idempotent: fast when everything is cached.
#
# What it does (see /work/shared/reference/real-kernel-vm.md for the recipe):
#   - installs qemu-system-x86, busybox-static, cpio, kmod (Debian) if missing, and nftables: the
#     guest runs the host's `nft` (its root is the host's) to watch netfilter hooks in l3s;
#   - downloads the kernel image package linux-image-amd64 depends on and unpacks it (without
#     installing it) into $NETFORM_VM_CACHE/<kernel version>/root, then runs depmod there;
#   - builds an initramfs (busybox + virtio/9p modules + /init) that mounts the host's root
#     read-only over virtio-9p, chroots into it, loads the network modules with kmod's
#     `modprobe -d`, runs /job/job.sh from a second (writable) 9p share under a time limit, writes
#     its exit code there, and powers off.
#
# In the guest, the host's root is also visible (read-only) at /tmp/host, so paths under the
# host's /root (hidden by a tmpfs in the guest) are /tmp/host/root/...
#
# Prints the paths as shell assignments on its last lines (NETFORM_VM_KERNEL=..., ...).
# Must run as root. Never touches the host's network configuration.
set -euo pipefail

CACHE=${NETFORM_VM_CACHE:-/var/cache/netform-vm}
log() { echo "vm_setup: $*" >&2; }

if [ "$(id -u)" -ne 0 ]; then
  log "must run as root"
  exit 1
fi

# One setup at a time (parallel test runs share the cache).
mkdir -p "$CACHE"
exec 9>"$CACHE/.lock"
flock 9

# 1. Debian packages.
missing=()
for pkg in qemu-system-x86 busybox-static cpio kmod nftables; do
  dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  log "installing ${missing[*]}"
  apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# 2. The kernel package: the one linux-image-amd64 depends on.
mkdir -p "$CACHE"
pkgfile="$CACHE/kernel-package"
if [ ! -s "$pkgfile" ]; then
  kpkg=$(apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-[0-9]/ {print $2; exit}')
  if [ -z "$kpkg" ]; then
    apt-get update -qq >/dev/null
    kpkg=$(apt-cache depends linux-image-amd64 | awk '/Depends: linux-image-[0-9]/ {print $2; exit}')
  fi
  [ -n "$kpkg" ] || { log "cannot find the kernel package linux-image-amd64 depends on"; exit 1; }
  echo "$kpkg" >"$pkgfile"
fi
kpkg=$(cat "$pkgfile")
kver=${kpkg#linux-image-}
kdir="$CACHE/$kver"
root="$kdir/root"

if [ ! -e "$kdir/.unpacked" ]; then
  log "downloading and unpacking $kpkg"
  rm -rf "$kdir"
  mkdir -p "$kdir/dl"
  # apt-get download fetches as the _apt user when it can write there.
  chown _apt "$kdir/dl" 2>/dev/null || true
  (cd "$kdir/dl" && apt-get download -qq "$kpkg" >/dev/null)
  deb=$(ls "$kdir"/dl/*.deb | head -n 1)
  dpkg -x "$deb" "$root"
  rm -rf "$kdir/dl"
  # Bookworm puts modules in /lib/modules; make sure kmod finds them under $root/lib/modules.
  if [ ! -d "$root/lib/modules/$kver" ] && [ -d "$root/usr/lib/modules/$kver" ]; then
    mkdir -p "$root/lib/modules"
    ln -s "../../usr/lib/modules/$kver" "$root/lib/modules/$kver"
  fi
  depmod -b "$root" "$kver"
  touch "$kdir/.unpacked"
fi
vmlinuz="$root/boot/vmlinuz-$kver"
[ -f "$vmlinuz" ] || { log "no kernel image at $vmlinuz"; exit 1; }

# 3. The initramfs. Rebuilt when this script changes (its hash is part of the name).
stamp=$(sha256sum "$0" | cut -c1-12)
initrd="$kdir/initrd-$stamp.cpio.gz"
if [ ! -s "$initrd" ]; then
  log "building $initrd"
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
  mkdir -p "$work"/{bin,sbin,proc,sys,dev,mnt/root,modules}
  cp /bin/busybox "$work/bin/busybox"
  for app in sh mount umount mkdir insmod sleep poweroff echo cat chroot sync mknod; do
    ln -s busybox "$work/bin/$app"
  done
  # Load order matters (virtio before virtio_ring fails with unknown symbols).
  order="virtio_ring virtio virtio_pci_legacy_dev virtio_pci_modern_dev virtio_pci netfs fscache 9pnet 9pnet_virtio 9p"
  n=0
  for m in $order; do
    f=$(modprobe -d "$root" -S "$kver" --show-depends "$m" 2>/dev/null | awk '/^insmod/ {print $2}' | tail -n 1 || true)
    if [ -z "$f" ]; then
      # Built in (or absent): nothing to load.
      log "module $m: built in or not found, skipped"
      continue
    fi
    n=$((n + 1))
    base=$(printf '%02d-%s.ko' "$n" "$m")
    case "$f" in
      *.ko.xz) xz -dc "$f" >"$work/modules/$base" ;;
      *.ko.zst) zstd -qdc "$f" >"$work/modules/$base" ;;
      *.ko.gz) gzip -dc "$f" >"$work/modules/$base" ;;
      *) cp "$f" "$work/modules/$base" ;;
    esac
  done
  cat >"$work/init" <<EOF
#!/bin/sh
# netform VM init: mount the host root (read-only) and the job share, chroot, run the job.
KVER=$kver
MODROOT=$root
EOF
  cat >>"$work/init" <<'EOF'
export PATH=/bin:/sbin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
for m in /modules/*.ko; do insmod "$m" || echo "init: insmod $m failed"; done
R=/mnt/root
if ! mount -t 9p -o trans=virtio,version=9p2000.L,ro hostroot $R; then
  echo "init: cannot mount the host root"; poweroff -f
fi
mount --bind /proc $R/proc
mount --bind /sys $R/sys
mount --bind /dev $R/dev
mount -t tmpfs tmpfs $R/run
mount -t tmpfs tmpfs $R/tmp
# The host's whole root stays reachable at /tmp/host (e.g. /root/.cache/deno, hidden below).
mkdir -p $R/tmp/host $R/tmp/job
mount --bind $R $R/tmp/host
mount -t tmpfs tmpfs $R/root
mkdir -p $R/dev/pts $R/dev/shm $R/run/netns
mount -t devpts devpts $R/dev/pts 2>/dev/null
mount -t tmpfs tmpfs $R/dev/shm
mount -t 9p -o trans=virtio,version=9p2000.L,msize=262144 job $R/tmp/job
TIMEOUT=$(cat $R/tmp/job/timeout 2>/dev/null || echo 300)
echo "init: running job (limit ${TIMEOUT}s)"
chroot $R /bin/sh -c "
  export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root
  modprobe -d $MODROOT -a ipvlan dummy veth macvlan bridge || echo 'init: modprobe failed'
  # netfilter for the l3s scenarios. Loaded here because the kernel's own request_module would
  # run the host's modprobe, which looks in the host's /lib/modules, not in $MODROOT.
  modprobe -d $MODROOT -a nf_tables nft_ct nf_conntrack || echo 'init: modprobe (netfilter) failed'
  ip link set lo up
  cd /tmp/job
  timeout -k 5 $TIMEOUT /bin/bash /tmp/job/job.sh >/tmp/job/stdout 2>/tmp/job/stderr
  echo \$? >/tmp/job/exitcode.tmp && mv /tmp/job/exitcode.tmp /tmp/job/exitcode
"
echo "init: job done, exit code $(cat $R/tmp/job/exitcode 2>/dev/null)"
sync
umount $R/tmp/job 2>/dev/null
poweroff -f
EOF
  chmod +x "$work/init"
  (cd "$work" && find . -print0 | cpio --null -o -H newc --quiet | gzip -9) >"$initrd.tmp"
  mv "$initrd.tmp" "$initrd"
  # Older initramfs builds of this script are no longer needed.
  find "$kdir" -maxdepth 1 -name 'initrd-*.cpio.gz' ! -name "$(basename "$initrd")" -delete
fi

echo "NETFORM_VM_KERNEL=$vmlinuz"
echo "NETFORM_VM_INITRD=$initrd"
echo "NETFORM_VM_MODULES=$root"
echo "NETFORM_VM_KVER=$kver"
