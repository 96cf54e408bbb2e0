#!/usr/bin/env python3
"""docker-compose.yml and the Dockerfile, checked without a Docker engine.

docker-compose validates the file (`config -q`); then the resolved configuration is read and the
pieces that must agree across files are compared: published ports only on 127.0.0.1, the
accessioner configuration's worklist and destination against the worklist and Orthanc services,
Prometheus' target against [metrics], the stop grace period against shutdown_grace_s, every
mounted file present. The Dockerfile's build packages are compared with scripts/install-deps.sh,
and promtool checks prometheus.yml with the alert rules beside it, as mounted.
Exits 77 (ctest: skipped) when docker-compose is not installed.

usage: compose_test.py SOURCE_DIR
"""
import pathlib
import re
import shutil
import subprocess
import sys
import tempfile
import tomllib

import yaml

SKIP = 77


def fail(message: str) -> None:
    print(f"FAIL: {message}", file=sys.stderr)
    sys.exit(1)


def seconds(duration: str) -> int:
    """Compose durations as used here: '45s', '1m30s'."""
    total = 0
    for value, unit in re.findall(r"(\d+)([hms])", duration):
        total += int(value) * {"h": 3600, "m": 60, "s": 1}[unit]
    return total


def check_dockerfile(src: pathlib.Path) -> None:
    """The build stage installs the toolchain and library packages of install-deps.sh (minus test
    libraries), and nothing install-deps.sh does not know."""
    deps = (src / "scripts/install-deps.sh").read_text()
    deps_block = re.search(r"PACKAGES=\((.*?)\n\)", deps, re.S)
    if not deps_block:
        fail("no PACKAGES=( ... ) in scripts/install-deps.sh")
    deps_packages = set()
    library_packages = set()  # the "# libraries" group: what the code links
    group = ""
    for line in deps_block.group(1).splitlines():
        if line.strip().startswith("#"):
            group = line.strip()
            continue
        words = line.split("#")[0].split()
        deps_packages.update(words)
        if group == "# libraries":
            library_packages.update(words)
    if not library_packages:
        fail("no '# libraries' group in scripts/install-deps.sh")
    test_only = {"libgtest-dev", "libgmock-dev", "libbenchmark-dev", "libclang-rt-14-dev"}

    dockerfile = (src / "Dockerfile").read_text()
    build_stage = dockerfile.split("\nFROM ", 2)[1]
    install = re.search(r"apt-get install -y --no-install-recommends \\\n(.*?)\n \&\&",
                        build_stage, re.S)
    if not install:
        fail("Dockerfile: no apt-get install in the build stage")
    docker_packages = set(install.group(1).replace("\\", " ").split())
    docker_only = docker_packages - deps_packages - {"file"}  # file: for cpack, see Dockerfile
    if docker_only:
        fail(f"Dockerfile installs packages scripts/install-deps.sh does not: {sorted(docker_only)}")
    missing = library_packages - test_only - docker_packages
    if missing:
        fail(f"Dockerfile's build stage lacks libraries of scripts/install-deps.sh: {sorted(missing)}")
    for needed in ("USER accessioner", "VOLUME /var/lib/accessioner", "EXPOSE 11112 9110",
                   "FROM debian:12"):
        if needed not in dockerfile:
            fail(f"Dockerfile lacks '{needed}'")
    print(f"ok: Dockerfile build packages match scripts/install-deps.sh ({len(docker_packages)})")


def check_prometheus_config(src: pathlib.Path) -> None:
    """promtool on prometheus.yml laid out as the compose file mounts it: alerts.yml beside it."""
    promtool = shutil.which("promtool")
    if promtool is None:
        fail("promtool not installed (Debian package prometheus; scripts/install-deps.sh)")
    with tempfile.TemporaryDirectory() as etc_prometheus:
        shutil.copy(src / "packaging/docker/prometheus.yml", etc_prometheus)
        shutil.copy(src / "packaging/alerts.yml", etc_prometheus)
        run = subprocess.run([promtool, "check", "config", f"{etc_prometheus}/prometheus.yml"],
                             capture_output=True, text=True)
        if run.returncode != 0 or "1 rule files found" not in run.stdout + run.stderr:
            fail(f"promtool check config:\n{run.stdout}{run.stderr}")
    print("ok: promtool check config packaging/docker/prometheus.yml (with alerts.yml)")


def main() -> None:
    src = pathlib.Path(sys.argv[1]).resolve()
    check_dockerfile(src)
    check_prometheus_config(src)

    compose = shutil.which("docker-compose")
    if compose is None:
        print("docker-compose not installed: compose checks skipped")
        sys.exit(SKIP)
    compose_file = src / "docker-compose.yml"
    run = subprocess.run([compose, "-f", str(compose_file), "config", "-q"],
                         capture_output=True, text=True)
    if run.returncode != 0:
        fail(f"docker-compose config -q:\n{run.stderr}")
    resolved = subprocess.run([compose, "-f", str(compose_file), "config"],
                              capture_output=True, text=True, check=True).stdout
    services = yaml.safe_load(resolved)["services"]
    for name in ("accessioner", "orthanc", "worklist", "prometheus"):
        if name not in services:
            fail(f"no service {name}")
    print("ok: docker-compose config -q")

    # Published ports: loopback only, unless someone decides otherwise on purpose.
    for name, service in services.items():
        for port in service.get("ports", []):
            spec = port if isinstance(port, str) else f"{port.get('host_ip', '')}:{port['published']}"
            if not spec.startswith("127.0.0.1:"):
                fail(f"{name} publishes {spec} beyond 127.0.0.1")
    # Every bind-mounted file or directory exists (a typo would mount an empty directory).
    for name, service in services.items():
        for volume in service.get("volumes", []):
            host = volume.split(":")[0] if isinstance(volume, str) else volume.get("source", "")
            if host.startswith("/") and not pathlib.Path(host).exists():
                fail(f"{name} mounts {host}, which does not exist")

    acc = services["accessioner"]
    mounts = {v.split(":")[1]: v.split(":")[0] for v in acc["volumes"]}
    config_path = pathlib.Path(mounts["/etc/accessioner/accessioner.toml"])
    config = tomllib.loads(config_path.read_text())
    if mounts.get("/var/lib/accessioner") != "accessioner-queue":
        fail("the queue is not on the accessioner-queue volume")
    if not config["storage"]["path"].startswith("/var/lib/accessioner/"):
        fail("storage.path is not on the volume")

    # Ports inside the containers: DICOM and metrics published, metrics reachable by Prometheus.
    published = {p.split(":")[-1].split("/")[0] for p in acc["ports"]}
    if str(config["server"]["port"]) not in published or str(config["metrics"]["port"]) not in published:
        fail(f"accessioner publishes {published}, configuration listens on "
             f"{config['server']['port']} and {config['metrics']['port']}")
    if config["server"]["bind"] != "0.0.0.0" or config["metrics"]["bind"] != "0.0.0.0":
        fail("inside the container both listeners must bind 0.0.0.0")

    # SIGTERM drains for shutdown_grace_s: Docker must wait longer before SIGKILL.
    grace = config["server"].get("shutdown_grace_s", 30)
    if seconds(acc.get("stop_grace_period", "10s")) <= grace:
        fail(f"stop_grace_period {acc.get('stop_grace_period')} <= shutdown_grace_s {grace}")

    # The worklist service serves the AE title and port the configuration queries.
    worklist = services["worklist"]
    src_dir, _out, ae, port = worklist["command"]
    if (config["worklist"]["host"], config["worklist"]["ae_title"], str(config["worklist"]["port"])) \
            != ("worklist", ae, port):
        fail(f"[worklist] {config['worklist']} does not match the worklist service ({ae}, {port})")
    worklist_mounts = {v.split(":")[1]: v.split(":")[0] for v in worklist["volumes"]}
    if not list(pathlib.Path(worklist_mounts[src_dir]).glob("*.dump")):
        fail("the worklist service has no orders to serve")

    # The destination is the Orthanc service, with its AE title and DICOM port.
    orthanc_env = services["orthanc"]["environment"]
    (destination,) = config["destination"]
    if (destination["host"], destination["ae_title"], str(destination["port"])) != \
            ("orthanc", orthanc_env["ORTHANC__DICOM_AET"], str(orthanc_env["ORTHANC__DICOM_PORT"])):
        fail(f"destination {destination} does not match the orthanc service")

    # Prometheus scrapes accessioner's metrics port and loads the alert rules.
    prom_mounts = {v.split(":")[1]: v.split(":")[0] for v in services["prometheus"]["volumes"]}
    prom = yaml.safe_load(pathlib.Path(prom_mounts["/etc/prometheus/prometheus.yml"]).read_text())
    targets = [t for job in prom["scrape_configs"] for sc in job["static_configs"] for t in sc["targets"]]
    if f"accessioner:{config['metrics']['port']}" not in targets:
        fail(f"Prometheus targets {targets} miss accessioner:{config['metrics']['port']}")
    for rule_file in prom["rule_files"]:
        if f"/etc/prometheus/{rule_file}" not in prom_mounts:
            fail(f"rule file {rule_file} is not mounted next to prometheus.yml")
    if pathlib.Path(prom_mounts["/etc/prometheus/alerts.yml"]) != src / "packaging/alerts.yml":
        fail("Prometheus does not load packaging/alerts.yml")
    print("ok: ports on 127.0.0.1, mounts exist, services and configurations agree")


if __name__ == "__main__":
    main()
