"""Hearth as a Wyoming service: STT, TTS, wake words, and understanding as ``intent``/``handle``.

Home Assistant's ``wyoming`` integration (or any Wyoming client) connects, sends ``describe`` and
reads ``info``; then one request per connection or several in turn. Wyoming has no authentication:
only peers in ``[wyoming] allow`` are answered; anyone who can reach the port and is allowed can
transcribe, synthesize and, through ``handle``, act on the home as if they had spoken to Hearth.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import logging
import uuid
from collections.abc import Callable
from typing import Any

import numpy as np
from wyoming.asr import Transcript
from wyoming.audio import AudioChunk, AudioStart, AudioStop
from wyoming.error import Error
from wyoming.event import Event
from wyoming.handle import Handled, NotHandled
from wyoming.info import (
    AsrModel,
    AsrProgram,
    Attribution,
    HandleModel,
    HandleProgram,
    Info,
    IntentModel,
    IntentProgram,
    TtsProgram,
    TtsVoice,
    WakeModel,
    WakeProgram,
)
from wyoming.intent import Entity, Intent, NotRecognized
from wyoming.ping import Pong
from wyoming.wake import Detection, NotDetected

from assistant.audio import SAMPLE_RATE
from assistant.config import Config
from assistant.events import EventBus, Understood
from assistant.intents import Understanding
from assistant.wyoming.protocol import ProtocolError, check_audio_format, open_limits, read_event, write_event

log = logging.getLogger(__name__)

MAX_AUDIO_S = 30.0
"""One transcription takes at most this much audio; more is flooding."""
WAKE_FRAME = 1280
TTS_CHUNK = 4096
"""Samples per audio-chunk of synthesized speech."""
VERSION = "0.1.0"
_ATTRIBUTION = Attribution(name="Hearth", url="https://github.com/hearth-voice/hearth")
LANGUAGES = ["en", "zh"]


def build_info(cfg: Config, wake_words: tuple[str, ...]) -> Info:
    """What this server offers, as Home Assistant lists it."""
    def art(name: str, description: str) -> dict[str, Any]:
        return {"name": name, "attribution": _ATTRIBUTION, "installed": True,
                "description": description, "version": VERSION}

    return Info(
        asr=[AsrProgram(**art("hearth-stt", "Hearth speech-to-text (faster-whisper, prompted with the home's names)"),
                        models=[AsrModel(**art("whisper", "Whisper tiny.en for English, base for Chinese"),
                                         languages=list(LANGUAGES))])],
        tts=[TtsProgram(**art("hearth-tts", "Hearth text-to-speech"),
                        voices=[TtsVoice(**art("hearth-en", "Piper voice"), languages=["en"]),
                                TtsVoice(**art("hearth-zh", f"Mandarin voice ({cfg.tts.zh_engine})"),
                                         languages=["zh"])])],
        wake=[WakeProgram(**art("hearth-wake", "openWakeWord"),
                          models=[WakeModel(**art(w, f"wake word {w}"), languages=["en"],
                                            phrase=w.replace("_", " ")) for w in wake_words])],
        intent=[IntentProgram(**art("hearth-intent", "Hearth understanding: recognises without acting"),
                              models=[IntentModel(**art("hearth", "templates, then the local LLM"),
                                                  languages=list(LANGUAGES))])],
        handle=[HandleProgram(**art("hearth-handle", "Hearth understanding: acts and answers"),
                              models=[HandleModel(**art("hearth", "templates, then the local LLM"),
                                                  languages=list(LANGUAGES))])],
    )


def allowed(peer: str, allow: tuple[str, ...]) -> bool:
    """``peer`` matches an address, a network (``192.168.1.0/24``) or ``*`` in ``allow``."""
    try:
        ip = ipaddress.ip_address(peer.split("%")[0])
    except ValueError:
        return False
    for entry in allow:
        if entry == "*":
            return True
        try:
            if ip in ipaddress.ip_network(entry, strict=False):
                return True
        except ValueError:
            continue
    return False


class WyomingServer:
    """Serves Wyoming clients on the running event loop; blocking engine calls run in threads."""

    def __init__(self, cfg: Config, *, stt: Any, tts: Any, brain: Any, wake_words: tuple[str, ...],
                 make_wake: Callable[[], Any], bus: EventBus | None = None) -> None:
        self.cfg = cfg
        self.stt, self.tts, self.brain = stt, tts, brain
        self.make_wake = make_wake
        self.bus = bus
        self.info = build_info(cfg, wake_words)
        self._server: asyncio.AbstractServer | None = None
        self.port = 0

    async def start(self, host: str, port: int) -> None:
        self._server = await asyncio.start_server(self._client, host, port, **open_limits())
        self.port = self._server.sockets[0].getsockname()[1]
        log.info("Wyoming service on tcp://%s:%d", host, self.port)

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        peer = (writer.get_extra_info("peername") or ("?",))[0]
        if not allowed(str(peer), self.cfg.wyoming.allow):
            log.warning("Wyoming peer %s is not in [wyoming] allow; connection refused", peer)
            writer.close()
            return
        conn = _Connection(self, writer, str(peer))
        try:
            while True:
                event = await read_event(reader)
                if event is None:
                    break
                await conn.handle(event)
        except ProtocolError as e:
            log.warning("Wyoming peer %s: %s; dropped", peer, e)
            with contextlib.suppress(Exception):
                await write_event(writer, Error(text=str(e), code="protocol").event())
        except (ConnectionError, asyncio.IncompleteReadError):
            log.info("Wyoming peer %s disconnected", peer)
        except Exception:
            log.exception("Wyoming peer %s: unexpected error; dropped", peer)
        finally:
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()


class _Connection:
    """One client's state: which request its audio belongs to."""

    def __init__(self, server: WyomingServer, writer: asyncio.StreamWriter, peer: str) -> None:
        self.server, self.writer, self.peer = server, writer, peer
        self.mode = ""  # "transcribe" | "detect" | ""
        self.language: str | None = None
        self.audio: list[bytes] = []
        self.audio_s = 0.0
        self.wake: Any = None
        self.wake_names: list[str] | None = None
        self.detected = False
        self.rest = b""

    async def send(self, event: Event) -> None:
        await write_event(self.writer, event)

    async def run(self, fn: Callable[..., Any], *args: Any) -> Any:
        return await asyncio.get_running_loop().run_in_executor(None, fn, *args)

    async def handle(self, event: Event) -> None:
        kind, data = event.type, event.data or {}
        if kind == "describe":
            await self.send(self.server.info.event())
        elif kind == "ping":
            await self.send(Pong(text=data.get("text")).event())
        elif kind == "transcribe":
            self.mode, self.language = "transcribe", _lang(data.get("language"))
        elif kind == "detect":
            self.mode = "detect"
            names = data.get("names")
            self.wake_names = [str(n) for n in names] if isinstance(names, list) else None
        elif kind == "audio-start":
            check_audio_format(data, None)
            self.audio, self.audio_s, self.rest, self.detected = [], 0.0, b"", False
        elif kind == "audio-chunk":
            await self._chunk(event)
        elif kind == "audio-stop":
            await self._audio_done()
        elif kind == "synthesize":
            await self._synthesize(data)
        elif kind == "recognize":
            await self._understand(data, execute=False)
        elif kind == "transcript" and not self.mode:
            await self._understand(data, execute=True)  # a handle request
        else:
            log.debug("Wyoming peer %s: ignoring %s", self.peer, kind)

    async def _chunk(self, event: Event) -> None:
        check_audio_format(event.data or {}, event.payload)
        pcm = event.payload or b""
        self.audio_s += len(pcm) / (2 * SAMPLE_RATE)
        if self.audio_s > MAX_AUDIO_S:
            raise ProtocolError(f"more than {MAX_AUDIO_S:.0f} s of audio in one request")
        if self.mode == "transcribe":
            self.audio.append(pcm)
        elif self.mode == "detect" and not self.detected:
            if self.wake is None:
                self.wake = await self.run(self.server.make_wake)
            self.rest += pcm
            while len(self.rest) >= 2 * WAKE_FRAME and not self.detected:
                frame = np.frombuffer(self.rest[: 2 * WAKE_FRAME], dtype=np.int16).copy()
                self.rest = self.rest[2 * WAKE_FRAME :]
                for d in await self.run(self.wake.process, frame):
                    if self.wake_names and d.word not in self.wake_names:
                        continue
                    self.detected = True
                    await self.send(Detection(name=d.word, timestamp=int(d.t_s * 1000)).event())
                    break

    async def _audio_done(self) -> None:
        if self.mode == "transcribe":
            audio = np.frombuffer(b"".join(self.audio), dtype=np.int16).copy()
            self.audio = []
            t = await self.run(self.server.stt.transcribe, audio, self.language)
            log.info("Wyoming peer %s: transcribed %.1f s: %r", self.peer, t.audio_s, t.text)
            await self.send(Transcript(text=t.text).event())
        elif self.mode == "detect" and not self.detected:
            await self.send(NotDetected().event())
        self.mode = ""
        if self.wake is not None:
            self.wake.reset()

    async def _synthesize(self, data: dict[str, Any]) -> None:
        text = str(data.get("text") or "")
        voice = data.get("voice") if isinstance(data.get("voice"), dict) else {}
        lang = "zh" if "zh" in str(voice.get("name") or voice.get("language") or "") else "en"
        tts = self.server.tts
        chunks: list[np.ndarray] = await self.run(lambda: list(tts.synthesize(text, lang)) if text else [])
        rate = tts.sample_rate
        await self.send(AudioStart(rate=rate, width=2, channels=1).event())
        for chunk in chunks:
            for i in range(0, len(chunk), TTS_CHUNK):
                part = np.asarray(chunk[i : i + TTS_CHUNK], dtype=np.int16).tobytes()
                await self.send(AudioChunk(rate=rate, width=2, channels=1, audio=part).event())
        await self.send(AudioStop().event())

    async def _understand(self, data: dict[str, Any], *, execute: bool) -> None:
        text = str(data.get("text") or "").strip()
        context = data.get("context") if isinstance(data.get("context"), dict) else {}
        area = context.get("area") if isinstance(context.get("area"), str) else None
        lang = _lang(context.get("language")) or "en"
        u: Understanding = await self.run(lambda: self.server.brain.understand(
            text, area=area, language=lang, conversation_id=f"wyoming-{self.peer}", execute=execute))
        if execute and self.server.bus is not None:
            self.server.bus.publish(Understood(run_id=uuid.uuid4().hex[:12], understanding=u, area=area or ""))
        recognised = bool(u.intents)
        out_context = {"intents": [i.as_dict() for i in u.intents], "path": u.path, "language": u.language}
        if not execute:
            if recognised:
                first = u.intents[0]
                entities = [Entity(name=str(k), value=v) for k, v in first.slots.items()]
                await self.send(Intent(name=first.intent, entities=entities, text=u.reply,
                                       context=out_context).event())
            else:
                await self.send(NotRecognized(text=u.reply, context=out_context).event())
        elif recognised:
            await self.send(Handled(text=u.reply, context=out_context).event())
        else:
            await self.send(NotHandled(text=u.reply, context=out_context).event())


def _lang(value: Any) -> str | None:
    if not isinstance(value, str) or not value:
        return None
    return "zh" if value.lower().startswith("zh") else "en"
