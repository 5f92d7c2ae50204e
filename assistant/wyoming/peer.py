"""A scripted satellite in its own process, for benchmarks: it streams a recording in real time the
way ``wyoming-satellite`` does (continuously, the hub runs the wake word) and times the reply.

Run through :func:`start_peer`; the child reports its port, then ``("first_audio", name, seconds)``:
from the end of speech in the recording, as sent, to the first reply audio received.
"""

from __future__ import annotations

import asyncio
import multiprocessing as mp
import time
from dataclasses import dataclass
from typing import Any

import numpy as np

CHUNK = 1024


@dataclass
class Peer:
    name: str
    port: int
    process: Any

    @property
    def uri(self) -> str:
        return f"tcp://127.0.0.1:{self.port}"

    def stop(self) -> None:
        self.process.terminate()
        self.process.join(5)


def start_peer(name: str, recording: np.ndarray, eos_s: float, play: Any, results: Any) -> Peer:
    """``recording`` (16 kHz int16) starts when ``play`` (a multiprocessing Event) is set; before and
    after it the microphone hears faint noise."""
    ctx = mp.get_context("spawn")
    port_q = ctx.Queue()
    proc = ctx.Process(target=_main, args=(name, recording.tobytes(), eos_s, play, results, port_q), daemon=True)
    proc.start()
    return Peer(name, port_q.get(timeout=60), proc)


def _main(name: str, pcm: bytes, eos_s: float, play: Any, results: Any, port_q: Any) -> None:
    asyncio.run(_serve(name, pcm, eos_s, play, results, port_q))


async def _serve(name: str, pcm: bytes, eos_s: float, play: Any, results: Any, port_q: Any) -> None:
    from wyoming.event import async_read_event, async_write_event
    from wyoming.info import Attribution, Info, Satellite
    from wyoming.pipeline import PipelineStage, RunPipeline

    noise = (np.random.default_rng(0).normal(0, 30, CHUNK * 16)).astype(np.int16).tobytes()

    async def client(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        state: dict[str, float | None] = {"eos": None, "reported": None}

        async def stream() -> None:
            t0, sent, pos, playing, n = time.monotonic(), 0, 0, False, 0
            while True:
                if not playing and play.is_set() and pos == 0:
                    playing, pos = True, 0
                if playing and pos < len(pcm):
                    data = pcm[pos:pos + 2 * CHUNK].ljust(2 * CHUNK, b"\0")
                    pos += 2 * CHUNK
                    if state["eos"] is None and pos / 32000 >= eos_s:
                        state["eos"] = time.monotonic()
                else:
                    data = noise[(n % 16) * 2 * CHUNK:(n % 16 + 1) * 2 * CHUNK]
                n += 1
                chunk = {"type": "audio-chunk", "data": {"rate": 16000, "width": 2, "channels": 1}}
                from wyoming.event import Event

                await async_write_event(Event(chunk["type"], chunk["data"], data), writer)  # type: ignore[arg-type]
                sent += CHUNK
                await asyncio.sleep(max(0.0, t0 + sent / 16000 - time.monotonic()))

        task: asyncio.Task[None] | None = None
        try:
            while (event := await async_read_event(reader)) is not None:
                if event.type == "describe":
                    sat = Satellite(name=name, attribution=Attribution("bench", ""), installed=True,
                                    description=None, version=None)
                    await async_write_event(Info(satellite=sat).event(), writer)
                elif event.type == "run-satellite" and task is None:
                    await async_write_event(RunPipeline(PipelineStage.WAKE, PipelineStage.TTS).event(), writer)
                    task = asyncio.create_task(stream())
                elif event.type == "audio-chunk" and state["eos"] is not None and state["reported"] is None:
                    state["reported"] = time.monotonic() - state["eos"]
                    results.put(("first_audio", name, state["reported"]))
        finally:
            if task is not None:
                task.cancel()

    server = await asyncio.start_server(client, "127.0.0.1", 0)
    port_q.put(server.sockets[0].getsockname()[1])
    async with server:
        await server.serve_forever()
