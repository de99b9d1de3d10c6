"""``python -m provider_plugins.simulate``: every registered simulator on its demo port.

Used by ``make run`` (``DEVSTACK_PROCESSES``). Ports: each plugin's
``demo_port``, overridable with ``--port key=PORT`` or the environment
(``SIMULATOR_PORT_VTPASS=9701``). Stops cleanly on Ctrl-C / SIGTERM.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading

from provider_plugins.registry import all_plugins


def demo_ports(overrides: list[str] | None = None) -> dict[str, int]:
    ports = {plugin.key: plugin.demo_port for plugin in all_plugins()
             if plugin.simulator is not None and plugin.demo_port}
    for key in list(ports):
        env = os.environ.get(f"SIMULATOR_PORT_{key.upper()}")
        if env:
            ports[key] = int(env)
    for item in overrides or []:
        key, _, port = item.partition("=")
        ports[key] = int(port)
    return ports


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="provider_plugins.simulate")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", action="append", default=[], metavar="KEY=PORT")
    parser.add_argument("--only", action="append", default=[], metavar="KEY")
    args = parser.parse_args(argv)
    plugins = {plugin.key: plugin for plugin in all_plugins()}
    running = []
    # Before the first "[simulate]" line: whoever reads the lines may stop us at once (a SIGTERM before the
    # handler would kill the process with the simulators' sockets still open).
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    for key, port in sorted(demo_ports(args.port).items()):
        if args.only and key not in args.only:
            continue
        simulator = plugins[key].load_simulator()(host=args.host, port=port)
        simulator.start()
        running.append(simulator)
        print(f"[simulate] {key:<12} {simulator.url}", flush=True)
    try:
        stop.wait()
    except KeyboardInterrupt:
        pass
    for simulator in running:
        simulator.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
