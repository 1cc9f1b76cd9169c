"""bench_engines.py: the `engines` rows of scripts/bench: `docker run --rm`
and `podman run --rm` of the hello unikernel through ukvm-oci, each beside
a static busybox hello (`busybox echo hello`) under runc on the same engine,
the same (default) network, in the same run, alternating. Each engine is
started here as the tests start it: state of its own in a temporary
directory, inside a network namespace made here; everything is stopped and
removed afterwards.
"""
import json
import os
import random
import shutil
import statistics
import subprocess
import tempfile
import time


def _sh(cmd):
    return subprocess.run(cmd, shell=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _clean_env_argv(argv):
    """argv with no signal blocked and no inherited descriptor above stderr."""
    return ["python3", "-c", "import os, signal, sys; signal.pthread_sigmask(signal.SIG_SETMASK, set()); "
            "os.closerange(3, 65536); os.execvp(sys.argv[1], sys.argv[1:])"] + argv


def _busybox_archive(tmp, ref):
    d = os.path.join(tmp, "bb")
    os.makedirs(d + "/rootfs/bin")
    shutil.copy("/bin/busybox", d + "/rootfs/bin/busybox")
    subprocess.run(["tar", "-C", d + "/rootfs", "--owner=0", "--group=0", "-cf", d + "/layer.tar", "."], check=True)
    digest = _sh(f"sha256sum {d}/layer.tar").stdout.split()[0]
    json.dump({"architecture": "amd64", "os": "linux", "config": {"Entrypoint": ["/bin/busybox"]},
               "rootfs": {"type": "layers", "diff_ids": ["sha256:" + digest]}}, open(d + "/config.json", "w"))
    json.dump([{"Config": "config.json", "RepoTags": [ref], "Layers": ["layer.tar"]}], open(d + "/manifest.json", "w"))
    subprocess.run(["tar", "-C", d, "-cf", d + ".tar", "manifest.json", "config.json", "layer.tar"], check=True)
    return d + ".tar"


def _images(tmp, oci, hello_image):
    hello = os.path.join(tmp, "hello.tar")
    subprocess.run([oci, "image", "--output", hello, "--name", "localhost/bench/hello:latest", hello_image],
                   check=True, stdout=subprocess.DEVNULL)
    return hello, _busybox_archive(tmp, "localhost/bench/busybox:latest")


def _measure(row, name, cli, ukvm_flags, runc_flags, n):
    uk = cli(["run", "--rm"] + ukvm_flags + ["localhost/bench/hello:latest"])
    rc = cli(["run", "--rm"] + runc_flags + ["localhost/bench/busybox:latest", "echo", "hello"])
    samples = [[], []]
    for i in range(n + 1):
        for k, argv in enumerate((uk, rc)):
            t0 = time.perf_counter()
            r = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
            dt = (time.perf_counter() - t0) * 1000
            if r.returncode != 0:
                raise RuntimeError(f"{' '.join(argv)}: {r.stderr}")
            if i:
                samples[k].append(dt)
    row(f"{name} run --rm hello (ukvm-oci)", statistics.median(samples[0]), "ms",
        f"{name} run --rm static busybox hello (runc)", statistics.median(samples[1]))


def _docker(row, tmp, ns, oci, archives, n):
    d = os.path.join(tmp, "docker")
    os.makedirs(d)
    sock = f"unix://{d}/docker.sock"
    group = f"ukvmbench-docker-{os.getpid()}"
    json.dump({"storage-driver": "overlay2", "cgroup-parent": "/" + group, "runtimes": {"ukvm": {"path": oci}}},
              open(d + "/daemon.json", "w"))
    daemon = subprocess.Popen(["python3", "-c", "import os, signal, sys; signal.pthread_sigmask(signal.SIG_SETMASK, "
                               "set()); os.execv(sys.argv[1], sys.argv[1:])", "/usr/bin/nsenter",
                               f"--net=/run/netns/{ns}", "/usr/sbin/dockerd", "--config-file", d + "/daemon.json",
                               "--data-root", d + "/data", "--exec-root", d + "/exec", "--pidfile", d + "/pid",
                               "-H", sock, "--iptables=false", "--ip6tables=false"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    cli = lambda args: ["/usr/bin/docker", "-H", sock] + args
    try:
        for _ in range(600):
            if subprocess.run(cli(["version"]), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode == 0:
                break
            time.sleep(0.05)
        for a in archives:
            subprocess.run(cli(["load", "-i", a]), check=True, stdout=subprocess.DEVNULL)
        _measure(row, "docker", cli, ["--runtime=ukvm"], ["--runtime=runc"], n)
    finally:
        ids = subprocess.run(cli(["ps", "-aq"]), stdout=subprocess.PIPE, text=True).stdout.split()
        if ids:
            subprocess.run(cli(["rm", "-f"] + ids), stdout=subprocess.DEVNULL)
        daemon.terminate()
        try:
            daemon.wait(timeout=30)
        except subprocess.TimeoutExpired:
            daemon.kill()
        for pid in _sh(f"pgrep -f -- '{d}/exec/containerd'").stdout.split():
            try:
                os.kill(int(pid), 9)
            except ProcessLookupError:
                pass
        _sh(f"grep -F ' {d}/' /proc/self/mounts | cut -d' ' -f2 | sort -r | xargs -r -n1 umount -l")
        _sh(f"for h in /sys/fs/cgroup/*/{group}; do [ -d $h ] && find $h -depth -type d -exec rmdir {{}} \\; ; done")


def _podman(row, tmp, ns, oci, archives, n):
    d = os.path.join(tmp, "podman")
    os.makedirs(d + "/cni")
    net = f"ukvmbench{os.getpid()}"
    sub = f"10.88.{random.randint(1, 250)}"
    json.dump({"cniVersion": "0.4.0", "name": net, "plugins": [{
        "type": "bridge", "bridge": "ukvmbenchbr", "isGateway": True, "ipMasq": False,
        "ipam": {"type": "host-local", "ranges": [[{"subnet": sub + ".0/24", "gateway": sub + ".1"}]]}}]},
        open(f"{d}/cni/{net}.conflist", "w"))
    open(d + "/containers.conf", "w").write(
        '[containers]\ndefault_ulimits = ["nofile=1024:1024", "nproc=1024:1024"]\n'
        f'[network]\nnetwork_backend = "cni"\ndefault_network = "{net}"\nnetwork_config_dir = "{d}/cni"\n'
        'cni_plugin_dirs = ["/usr/lib/cni"]\n[engine]\ncgroup_manager = "cgroupfs"\nevents_logger = "file"\n')
    cli = lambda args: _clean_env_argv(["env", f"CONTAINERS_CONF={d}/containers.conf", "/usr/bin/nsenter",
                                        f"--net=/run/netns/{ns}", "/usr/bin/podman", "--root", d + "/root",
                                        "--runroot", d + "/runroot", "--tmpdir", d + "/tmp",
                                        "--cgroup-manager=cgroupfs", "--events-backend=file",
                                        "--network-config-dir", d + "/cni", "--storage-driver", "overlay"] + args)
    try:
        for a in archives:
            subprocess.run(cli(["load", "-i", a]), check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        _measure(row, "podman", cli, ["--runtime", oci], ["--runtime", "/usr/sbin/runc"], n)
    finally:
        subprocess.run(cli(["rm", "-af", "-t", "0"]), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        _sh(f"grep -F ' {d}/' /proc/self/mounts | cut -d' ' -f2 | sort -r | xargs -r -n1 umount -l")
        _sh(f"rm -rf /var/lib/cni/networks/{net} /var/lib/cni/results/{net}-*")
        _sh("for h in /sys/fs/cgroup/*/libpod_parent; do [ -d $h ] && find $h -depth -type d -exec rmdir {} \\; "
            "2>/dev/null; done; true")


def bench_engines(row, build, quick):
    oci = os.path.join(build, "bin", "ukvm-oci")
    missing = [p for p in ("/usr/sbin/dockerd", "/usr/bin/docker", "/usr/bin/podman", "/usr/sbin/runc",
                           "/bin/busybox", oci) if not os.path.exists(p)]
    if missing:
        print(f"engines: {', '.join(missing)} missing (scripts/setup, make all); skipped")
        return
    n = 5 if quick else 20
    ns = f"ukvmbench{os.getpid()}"
    subprocess.run(["ip", "netns", "add", ns], check=True)
    subprocess.run(["ip", "-n", ns, "link", "set", "lo", "up"], check=True)
    try:
        with tempfile.TemporaryDirectory(prefix="ukvm-bench-engines-") as tmp:
            archives = _images(tmp, oci, os.path.join(build, "ukvm", "hello.ukvm"))
            _docker(row, tmp, ns, oci, archives, n)
            _podman(row, tmp, ns, oci, archives, n)
    finally:
        subprocess.run(["ip", "netns", "del", ns])
