"""A loopback SMTP server for the integration tests, on aiosmtpd.

Usage: python3 smtp_sink.py DIR [--fail-first N]

Listens on 127.0.0.1 on a free port and prints the port on the first line of stdout.
Every message it accepts is written to DIR as one .eml file (written under a temporary
name, then renamed, so a reader never sees half a message). With --fail-first N the
first N messages are answered "451 try again later" and kept as DIR/rejected/*.eml.
Recipients containing "bounce" are refused with 550 (a permanent failure). The server
exits when its parent process (the test) is gone.
"""

import argparse
import asyncio
import itertools
import os
import sys
import threading
import time

from aiosmtpd.smtp import SMTP


class Sink:
    def __init__(self, directory, fail_first):
        self.directory = directory
        self.rejected = os.path.join(directory, "rejected")
        os.makedirs(self.rejected, exist_ok=True)
        self.fail_first = fail_first
        self.counter = itertools.count()

    def _write(self, directory, content):
        name = f"{time.time_ns()}-{next(self.counter):06d}.eml"
        tmp = os.path.join(directory, f".{name}.tmp")
        with open(tmp, "wb") as f:
            f.write(content)
        os.replace(tmp, os.path.join(directory, name))

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if "bounce" in address:
            return "550 5.1.1 no such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        content = envelope.original_content or envelope.content
        if self.fail_first > 0:
            self.fail_first -= 1
            self._write(self.rejected, content)
            return "451 4.3.0 try again later"
        self._write(self.directory, content)
        return "250 OK"


def exit_with_parent():
    parent = os.getppid()
    while True:
        time.sleep(0.5)
        if os.getppid() != parent:
            os._exit(0)


async def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("directory")
    parser.add_argument("--fail-first", type=int, default=0)
    args = parser.parse_args()
    os.makedirs(args.directory, exist_ok=True)
    handler = Sink(args.directory, args.fail_first)
    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        lambda: SMTP(handler, hostname="sink.test", data_size_limit=10 * 1024 * 1024),
        host="127.0.0.1",
        port=0,
    )
    port = server.sockets[0].getsockname()[1]
    print(port, flush=True)
    threading.Thread(target=exit_with_parent, daemon=True).start()
    await asyncio.Event().wait()


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        sys.exit(0)
