"""A real OpenLDAP server (Debian's slapd) for the tests: the county's staff directory.

`county_directory(folder)` writes slapd's configuration (cn=config, an mdb database under
dc=county,dc=gov with core, cosine and inetOrgPerson schemas) and the people given, loads them
with `slapadd` while slapd is stopped, then runs slapd in the foreground on a free loopback port
for as long as the context lasts. Passwords are stored hashed ({SSHA}, by `slappasswd`).
"""

from __future__ import annotations

import contextlib
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

BASE = "dc=county,dc=gov"
PEOPLE = f"ou=people,{BASE}"
READER = f"cn=reader,{BASE}"  # the platform's searching account
READER_PASSWORD = "reader-password-of-the-platform"

CONFIG = """dn: cn=config
objectClass: olcGlobal
cn: config
olcPidFile: {folder}/slapd.pid

dn: cn=module{{0}},cn=config
objectClass: olcModuleList
cn: module{{0}}
olcModulePath: /usr/lib/ldap
olcModuleLoad: back_mdb

dn: cn=schema,cn=config
objectClass: olcSchemaConfig
cn: schema

include: file:///etc/ldap/schema/core.ldif
include: file:///etc/ldap/schema/cosine.ldif
include: file:///etc/ldap/schema/inetorgperson.ldif

dn: olcDatabase={{-1}}frontend,cn=config
objectClass: olcDatabaseConfig
objectClass: olcFrontendConfig
olcDatabase: {{-1}}frontend

dn: olcDatabase={{0}}config,cn=config
objectClass: olcDatabaseConfig
olcDatabase: {{0}}config
olcAccess: {{0}}to * by * none

dn: olcDatabase={{1}}mdb,cn=config
objectClass: olcDatabaseConfig
objectClass: olcMdbConfig
olcDatabase: {{1}}mdb
olcSuffix: {base}
olcDbDirectory: {folder}/data
olcRootDN: cn=admin,{base}
olcRootPW: {root}
olcAccess: {{0}}to attrs=userPassword by self read by anonymous auth by * none
olcAccess: {{1}}to * by dn.exact="{reader}" read by users read by * none
"""


def _hashed(password: str) -> str:
    return subprocess.run(["slappasswd", "-s", password], check=True, capture_output=True, text=True).stdout.strip()


def _entries(people: dict[str, str]) -> str:
    blocks = [
        f"dn: {BASE}\nobjectClass: dcObject\nobjectClass: organization\no: County\ndc: county\n",
        f"dn: {PEOPLE}\nobjectClass: organizationalUnit\nou: people\n",
        f"dn: {READER}\nobjectClass: person\ncn: reader\nsn: reader\nuserPassword: {_hashed(READER_PASSWORD)}\n",
    ]
    for uid, password in people.items():
        blocks.append(
            f"dn: uid={uid},{PEOPLE}\nobjectClass: inetOrgPerson\nuid: {uid}\ncn: {uid}\nsn: {uid}\n"
            f"userPassword: {_hashed(password)}\n"
        )
    return "\n".join(blocks)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@contextlib.contextmanager
def county_directory(folder: Path, people: dict[str, str]) -> Iterator[str]:
    """slapd serving `people` (uid -> password) under ou=people,dc=county,dc=gov: its URL."""
    config, data = folder / "slapd.d", folder / "data"
    config.mkdir(parents=True)
    data.mkdir()
    (folder / "config.ldif").write_text(
        CONFIG.format(folder=folder, base=BASE, root=_hashed("root-password-never-used"), reader=READER)
    )
    (folder / "people.ldif").write_text(_entries(people))
    subprocess.run(
        ["slapadd", "-n0", "-F", str(config), "-l", str(folder / "config.ldif")], check=True, capture_output=True
    )
    subprocess.run(
        ["slapadd", "-n1", "-F", str(config), "-l", str(folder / "people.ldif")], check=True, capture_output=True
    )
    port = _free_port()
    url = f"ldap://127.0.0.1:{port}"
    log = (folder / "slapd.log").open("wb")
    proc = subprocess.Popen(["slapd", "-h", f"{url}/", "-F", str(config), "-d", "0"], stdout=log, stderr=log)
    try:
        deadline = time.monotonic() + 10
        while True:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.2):
                break
            assert proc.poll() is None, (folder / "slapd.log").read_text()[-2000:]
            assert time.monotonic() < deadline, "slapd did not start"
            time.sleep(0.05)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)
        log.close()
