"""The lines as a feature: their API (every process follows the lines in force), and with the
telephony application the loop that keeps Asterisk in step with the lines and the agents'
phones (telephony/runtime/sync.py)."""

from __future__ import annotations

from casebook.agents.services import AgentDirectory
from common.paths import prompts_dir
from hotline.features import Feature, Parts
from hotline.features.lines.follow import LineFollower
from hotline.features.lines.routes import router
from hotline.features.lines.store import LineStore
from hotline.services import asterisk_process, build_all_prompts
from ivr.lines import LineBook, load_lines
from telephony.runtime.config import PhoneAccount
from telephony.runtime.sync import AsteriskSync


def feature(parts: Parts) -> Feature:
    store = LineStore(parts.sessions, lambda: load_lines(parts.settings.lines_file), parts.book.clock)
    follower = LineFollower(store, parts.lines)
    sync = _asterisk_sync(parts, store)
    return Feature(
        "lines",
        routers=(router,),
        with_telephony=(follower.run, sync.run),
        with_api=(follower.run,),
        api_state={"line_store": store},
    )


def _asterisk_sync(parts: Parts, store: LineStore) -> AsteriskSync:
    directory = AgentDirectory(parts.sessions)
    process = asterisk_process(parts.settings)

    def accounts() -> list[PhoneAccount]:
        return [PhoneAccount(a.extension, a.digest_md5, a.digest_sha256) for a in directory.sip_accounts()]

    def speak(book: LineBook) -> None:
        build_all_prompts(parts.settings, book)
        process.install_prompts(prompts_dir(parts.settings))

    return AsteriskSync(
        accounts,
        lambda: parts.lines,
        process.render,
        parts.ami.reload,
        speak=speak,
        lines_applied=store.mark_applied,
    )
