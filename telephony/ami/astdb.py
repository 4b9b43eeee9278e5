"""Asterisk's own database (AstDB) through AMI: DBPut, DBGet, DBDel, DBGetTree.

The platform keeps the facts of recorded messages there, beside the audio, so that they
survive a crash of this application or an outage of the casebook's database. ARI cannot write
AstDB (Asterisk blocks the "dangerous" DB function from external interfaces); AMI's DB actions
are the supported way.
"""

from __future__ import annotations

from typing import Any

from telephony.ami.client import AmiClient, AmiError


class AstDb:
    def __init__(self, ami: AmiClient) -> None:
        self.ami = ami

    async def put(self, family: str, key: str, value: str) -> None:
        answer = await self.ami.send({"Action": "DBPut", "Family": family, "Key": key, "Val": value}, as_list=False)
        _ok(answer, "DBPut")

    async def get(self, family: str, key: str) -> str | None:
        answer = await self.ami.send({"Action": "DBGet", "Family": family, "Key": key})
        for message in _messages(answer):
            if message.get("Response") == "Error":
                return None
            if message.get("Event") == "DBGetResponse":
                return str(message.get("Val", ""))
        return None

    async def delete(self, family: str, key: str) -> None:
        answer = await self.ami.send({"Action": "DBDel", "Family": family, "Key": key}, as_list=False)
        message = _messages(answer)[0]
        if message.get("Response") == "Success" or "not found" in str(message.get("Message", "")).lower():
            return
        # Asterisk 22 answers "could not be deleted" for a key that is already gone: fine, if so
        if await self.get(family, key) is not None:
            raise AmiError(f"AMI DBDel refused: {message.get('Message')}")

    async def tree(self, family: str) -> dict[str, str]:
        """Every key of a family, without the `/family/` prefix, with its value."""
        answer = await self.ami.send({"Action": "DBGetTree", "Family": family})
        entries: dict[str, str] = {}
        prefix = f"/{family}/"
        for message in _messages(answer):
            if message.get("Event") == "DBGetTreeResponse":
                key = str(message.get("Key", ""))
                entries[key[len(prefix) :] if key.startswith(prefix) else key] = str(message.get("Val", ""))
        return entries


def _messages(answer: Any) -> list[Any]:
    return answer if isinstance(answer, list) else [answer]


def _ok(answer: Any, action: str) -> None:
    message = _messages(answer)[0]
    if message.get("Response") != "Success":
        raise AmiError(f"AMI {action} refused: {message.get('Message')}")
