"""The run state machine: wake → listen → transcribe → think → speak → back to waiting, forever.

Progress leaves only as events on the bus. Engines are injected through the constructor, so the
same machine runs on a microphone, a WAV file, stdin, or scripted fakes in tests.
"""

from __future__ import annotations

import logging
import re
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from assistant.announce import AnnouncementQueue
from assistant.audio import SAMPLE_RATE
from assistant.audio.activity import VoiceActivity
from assistant.audio.base import AudioSink, AudioSource
from assistant.audio.buffer import PreRoll
from assistant.brain.base import Brain
from assistant.brain.gate import PIN_MASK
from assistant.config import Config
from assistant.errors import HearthError
from assistant.events import (
    Announcement,
    CommandAudio,
    EventBus,
    RunFailed,
    RunFinished,
    SpeakingFinished,
    SpeakingStarted,
    SpeechEnded,
    SpeechStarted,
    StateChanged,
    Transcribed,
    Understood,
    WakeDetected,
    WakeSuppressed,
)
from assistant.stt.base import Transcriber, Transcript
from assistant.tts.base import Synthesizer
from assistant.turn import TurnGuess, TurnPolicy, Verdict, open_ended, silence_needed_s
from assistant.vad.base import SpeechDetector
from assistant.vad.segmenter import Segmenter, SpeechStart
from assistant.wake import boundary
from assistant.wake.base import WakeDetector

log = logging.getLogger(__name__)

VAD_CHUNK = 512
"""Silero's frame size at 16 kHz, samples."""
LEAD_S = 0.25
"""Audio kept before the detected start of speech; earlier audio (the wake word's tail) is not transcribed."""
SPECULATE_AFTER_S = 0.08
"""Start transcribing once speech has been silent this long, before the end-of-speech timeout."""
HOLD_ANNOUNCEMENT_MAX_S = 4.0
"""An announcement waits for a voice near the microphone to pause, but no longer than this (a TV
that never stops talking must not keep a ringing timer quiet)."""
APOLOGY = {"en": "Sorry, something went wrong.", "zh": "抱歉，出了点问题。"}


@dataclass
class _Run:
    """Mutable state of one wake→reply run."""

    run_id: str
    started_wall: float
    audio_start_s: float
    """Stream time of the first sample in ``frames``, seconds."""
    frames: list[np.ndarray] = field(default_factory=list)
    speech_end_wall: float | None = None
    speculation: tuple[int, Future[Transcript]] | None = None
    stale: threading.Event = field(default_factory=threading.Event)
    """Set when speech resumes after a guess: its LLM prefetch stops decoding."""
    turn: TurnGuess | None = None
    """Whether the guessed words make a whole command: sets how long a pause ends the turn."""
    timings_ms: dict[str, float] = field(default_factory=dict)
    wake_word: str = ""
    """Set when ``frames`` begin at this wake word's phrase (found from the audio), not at the command."""


class Pipeline:
    """Drives one audio source through the stages until it ends (a file) or forever (a microphone)."""

    def __init__(
        self,
        cfg: Config,
        *,
        wake: WakeDetector,
        vad: SpeechDetector,
        stt: Transcriber,
        brain: Brain,
        tts: Synthesizer,
        sink: AudioSink,
        bus: EventBus,
        area: str | None = None,
        clock: Callable[[], float] = time.monotonic,
        announcements: AnnouncementQueue | None = None,
        intercept: Callable[[str, str | None], bool] | None = None,
    ) -> None:
        """``announcements``: this stream's queue (from an ``AnnouncementRouter``); without one the
        pipeline takes every announcement on the bus. ``intercept(text, area)`` sees each transcript
        first and returns True when it consumed it (an "ok" to a ringing timer)."""
        self.cfg = cfg
        self.wake, self.vad, self.stt, self.brain, self.tts, self.sink = wake, vad, stt, brain, tts, sink
        self.bus = bus
        self.area = area if area is not None else (cfg.general.area or None)
        self.clock = clock
        self.frame_samples = SAMPLE_RATE * cfg.audio.frame_ms // 1000
        self.frame_s = self.frame_samples / SAMPLE_RATE
        self.segmenter = Segmenter(cfg.vad, frame_s=self.frame_s)
        self.turn_policy = TurnPolicy.from_config(cfg.vad)
        self.preroll = PreRoll(max(cfg.audio.preroll_s, boundary.LOOKBACK_S), self.frame_samples)
        self._vad_rest = np.zeros(0, dtype=np.int16)
        self._vad_prob = 0.0
        self._state = ""
        self._run: _Run | None = None
        self._t_s = 0.0
        self._suppress_until_s = 0.0
        self.activity = VoiceActivity(self.frame_s)
        self._held_since_s: float | None = None
        self._playing = "reply"
        """What Hearth last spoke (``reply``, ``announcement``, ``ring``): the reason a wake word
        heard in its own voice is suppressed."""
        self._screened = False
        self._cancel = threading.Event()
        self._announcements = announcements if announcements is not None else AnnouncementQueue()
        self.intercept = intercept
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="hearth-stt")
        self._executor_open = True
        self.muted = False
        if announcements is None:
            bus.subscribe(self._announcements.put, Announcement)

    # ---- control from outside (MQTT, signals) ------------------------------------------------
    def cancel(self) -> None:
        """Stop the current reply and any queued announcement."""
        self._cancel.set()
        self._announcements.clear()  # never raises, whatever the pipeline thread takes meanwhile
        self.sink.cancel()

    def set_muted(self, muted: bool) -> None:
        self.muted = muted

    @property
    def state(self) -> str:
        return self._state

    # ---- main loop ---------------------------------------------------------------------------
    def run(self, source: AudioSource) -> None:
        """Process ``source`` frame by frame until it ends; a failed run never ends the loop."""
        live = bool(getattr(source, "live", False))
        if not self._executor_open:  # run again after a lost source: a fresh worker, a fresh stream
            self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="hearth-stt")
            self._executor_open = True
            self.wake.reset()
            self.preroll.clear()
        self._run = None
        self._set_state("idle")
        try:
            for frame in source.frames():
                self._t_s += len(frame) / SAMPLE_RATE
                if not (live and (self._t_s < self._suppress_until_s or self.sink.playing)):
                    self.activity.update(frame)  # the household's voice, never Hearth's own
                self._speak_announcements(live)
                if self.muted:
                    continue
                if live and (self._t_s < self._suppress_until_s or self.sink.playing):
                    self._screen_own_voice(frame)  # our own voice, still in the microphone's backlog
                    continue
                if self._screened:  # nothing of our own voice may carry over into a detection
                    self._screened = False
                    self.wake.reset()
                try:
                    self._step(frame, live)
                except Exception as e:  # one failed run is reported; the loop goes on
                    self._fail("pipeline", e)
            if self._state == "listening" and self._run is not None:
                self._end_of_speech(self.segmenter.finish(self._t_s).reason, live)
            self._speak_announcements(live, at_end=True)
        finally:
            self._executor_open = False
            self._executor.shutdown(wait=False, cancel_futures=True)

    def _step(self, frame: np.ndarray, live: bool) -> None:
        if self._state == "idle":
            self.preroll.push(frame)
            t0 = time.perf_counter()
            detections = self.wake.process(frame)
            if detections:
                best = max(detections, key=lambda d: d.score)
                self._start_run()
                assert self._run is not None
                self.bus.publish(
                    WakeDetected(
                        run_id=self._run.run_id, word=best.word, score=best.score, t_s=self._t_s,
                        detect_ms=(time.perf_counter() - t0) * 1000,
                    )
                )
                # The command may follow in the same breath: keep the whole wake phrase, found from
                # the audio; Whisper hears phrase and command together and the phrase is stripped.
                lookback = self.preroll.audio()
                phrase = lookback[boundary.locate(self.vad, lookback):]
                self._run.frames.append(phrase)
                self._run.audio_start_s = self._t_s - len(phrase) / SAMPLE_RATE
                self._run.wake_word = best.word
                self.preroll.clear()
            return
        if self._state == "listening" and self._run is not None:
            self._listen(frame, live)

    def _screen_own_voice(self, frame: np.ndarray) -> None:
        """Score a frame of Hearth's own playback without acting on it: a wake word found there is
        a self-wake, published as ``WakeSuppressed`` so its rate can be watched."""
        if self._state != "idle":
            return  # listening already (a follow-up): a wake word would change nothing
        self._screened = True
        screen = getattr(self.wake, "screen", self.wake.process)
        try:
            found = screen(frame)
        except Exception:
            log.debug("screening our own voice failed", exc_info=True)
            return
        for d in found:
            log.info("wake word %s in our own %s ignored (score %.2f)", d.word, self._playing, d.score)
            self.bus.publish(WakeSuppressed(run_id="", word=d.word, score=d.score, reason=self._playing))

    def _start_run(self, run_id: str | None = None) -> None:
        self._run = _Run(run_id=run_id or uuid.uuid4().hex[:12], started_wall=self.clock(), audio_start_s=self._t_s)
        self.segmenter = Segmenter(self.cfg.vad, start_t_s=self._t_s, frame_s=self.frame_s)
        self.vad.reset()
        self._vad_rest = np.zeros(0, dtype=np.int16)
        self._set_state("listening")

    def _speech_prob(self, frame: np.ndarray) -> float:
        """Feed Silero whole 512-sample chunks; keep the remainder for the next frame."""
        buf = np.concatenate([self._vad_rest, frame]) if self._vad_rest.size else frame
        n = (len(buf) // VAD_CHUNK) * VAD_CHUNK
        if n:
            self._vad_prob = self.vad.speech_prob(buf[:n])
        self._vad_rest = buf[n:].copy()
        return self._vad_prob

    def _listen(self, frame: np.ndarray, live: bool) -> None:
        run = self._run
        assert run is not None
        run.frames.append(frame)
        seg = self.segmenter
        is_speech = self._speech_prob(frame) >= self.cfg.vad.threshold
        event = seg.update(self._t_s, is_speech)
        if isinstance(event, SpeechStart):
            self.bus.publish(SpeechStarted(run_id=run.run_id, t_s=event.t_s))
        if seg.started and seg.silence_s == 0.0:
            run.speech_end_wall = None
        if seg.started and run.speech_end_wall is None and seg.silence_s > 0:
            # Speech just stopped: remember when (wall clock), for the first-audio latency.
            run.speech_end_wall = self.clock() - (self.segmenter.silence_s if live else 0.0)
        self._maybe_speculate(run)
        if seg.result is None and seg.started:
            seg.require_silence(silence_needed_s(self.turn_policy, run.turn, seg.silence_s, live=live,
                                                 frame_s=self.frame_s))
        if seg.result is not None:
            self._end_of_speech(seg.result.reason, live)

    def _maybe_speculate(self, run: _Run) -> None:
        """Transcribe as soon as silence begins, instead of after the whole trailing-silence timeout."""
        seg = self.segmenter
        if not seg.started or seg.silence_s < SPECULATE_AFTER_S:
            if run.speculation is not None and seg.silence_s == 0.0:
                run.speculation = None  # speech resumed: that guess is stale
                run.turn = None
                run.stale.set()
            return
        if run.speculation is None:
            n = len(run.frames)
            audio = self._command_audio(run)
            run.stale = threading.Event()
            run.turn = TurnGuess()
            guess = self._executor.submit(self._transcribe, audio, run.wake_word)
            run.speculation = (n, guess)
            self._executor.submit(self._prefetch, guess, run.stale, run.turn)  # one worker: runs right after

    def _command_audio(self, run: _Run) -> np.ndarray:
        """The run's audio from just before speech began: a burst too short to be speech before it,
        such as the tail of the wake word, would otherwise be transcribed ("...vis. Turn on")."""
        audio = np.concatenate(run.frames) if run.frames else np.zeros(0, dtype=np.int16)
        seg = self.segmenter
        if seg.speech_start_s is None or run.wake_word:
            return audio  # a woken run starts at the wake phrase, which the transcript drops
        cut_s = seg.speech_start_s - LEAD_S
        if seg.dropped_until_s is not None:
            cut_s = max(cut_s, seg.dropped_until_s)
        cut = round((cut_s - run.audio_start_s) * SAMPLE_RATE)
        return audio[max(0, min(cut, len(audio))):]

    def _transcribe(self, audio: np.ndarray, wake_word: str = "") -> Transcript:
        lang = None if self.cfg.general.language == "auto" else self.cfg.general.language
        if wake_word and getattr(self.stt, "accepts_prefix", False):
            # The audio opens with the wake phrase: Whisper reads it as such and the command after it.
            options: dict[str, Any] = {"prefix": boundary.spoken(wake_word)}
            understands = getattr(self.brain, "understands", None)
            if understands is not None and getattr(self.stt, "accepts_check", False):
                # A transcript the templates cannot use may be a misheard one: worth a second model.
                def accept(text: str) -> bool:
                    return bool(understands(strip_wake_words(text, self.wake.words), area=self.area,
                                            conversation_id=self.cfg.general.node_id))
                options["accept"] = accept
            return self.stt.transcribe(audio, lang, **options)  # type: ignore[call-arg]
        return self.stt.transcribe(audio, lang)

    def _prefetch(self, guess: Future[Transcript], stale: threading.Event, turn: TurnGuess) -> None:
        """Let the brain start on the guessed words while the pause goes on, and judge from them
        whether the speaker has finished (see :mod:`assistant.turn`)."""
        verdict, text = Verdict.UNSURE, ""
        try:
            transcript = guess.result()
            text = strip_wake_words(transcript.text, self.wake.words)
            if text and open_ended(text):
                verdict = Verdict.INCOMPLETE  # the LLM would only be stopped when speech resumes
            elif text and not stale.is_set():
                whole = self.brain.prefetch(
                    text, area=self.area, language=transcript.language,
                    conversation_id=self.cfg.general.node_id, stop=stale.is_set,
                )
                verdict = Verdict.COMPLETE if whole else Verdict.UNSURE
        except Exception:  # a failed guess costs nothing: understand() starts afresh
            log.debug("prefetch failed", exc_info=True)
        finally:
            log.debug("end of turn: %r is %s", text, verdict.value)
            turn.decide(verdict, text)

    def _end_of_speech(self, reason: str, live: bool) -> None:
        run = self._run
        assert run is not None
        audio = self._command_audio(run)
        self.bus.publish(
            SpeechEnded(run_id=run.run_id, t_s=self._t_s, audio_s=len(audio) / SAMPLE_RATE, reason=reason)
        )
        if self.segmenter.started:
            self.bus.publish(CommandAudio(run_id=run.run_id, samples=audio))
        if not self.segmenter.started:
            self._finish(run)  # nobody spoke after the wake word
            return
        if run.speech_end_wall is None:
            run.speech_end_wall = self.clock()
        run.timings_ms["eos_detect"] = (self.clock() - run.speech_end_wall) * 1000
        self._set_state("thinking")
        try:
            t0 = self.clock()
            transcript = self._final_transcript(run, audio)
            run.timings_ms["stt"] = transcript.seconds * 1000
            run.timings_ms["stt_wait"] = (self.clock() - t0) * 1000
            text = strip_wake_words(transcript.text, self.wake.words)
            secret = getattr(self.brain, "expects_secret", None)  # a spoken PIN is never shown
            shown = PIN_MASK if text and secret is not None and secret(self.cfg.general.node_id) else text
            self.bus.publish(
                Transcribed(run_id=run.run_id, text=shown, language=transcript.language,
                            audio_s=transcript.audio_s, seconds=transcript.seconds)
            )
            if not text and transcript.text.strip():
                # Only the wake word, said while listening already (after a ring or a question):
                # the command follows, so listen for it as after a wake.
                self._finish(run, keep_state=True)
                self._start_run()
                return
            if not text or (self.intercept is not None and self.intercept(text, self.area)):
                self._finish(run)
                return
            understanding = self.brain.understand(
                text, area=self.area, language=transcript.language, conversation_id=self.cfg.general.node_id
            )
            run.timings_ms["understand"] = understanding.ms
            self.bus.publish(Understood(run_id=run.run_id, understanding=understanding, area=self.area or ""))
            self._speak(run, understanding.reply, understanding.language, live)
            if understanding.expects_reply and not self._cancel.is_set():
                self._finish(run, keep_state=True)
                self._start_run()  # follow-up: listen again without the wake word
                return
        except Exception as e:
            self._fail("run", e, run)
        self._finish(run)

    def _final_transcript(self, run: _Run, audio: np.ndarray) -> Transcript:
        if run.speculation is not None:
            n, fut = run.speculation
            # Frames after the guess hold only trailing silence, so the guess is the final transcript.
            if n <= len(run.frames):
                try:
                    return fut.result()
                except Exception:
                    log.warning("speculative transcription failed; transcribing again", exc_info=True)
        return self._transcribe(audio, run.wake_word)

    def _speak(self, run: _Run | None, text: str, language: str, live: bool, what: str = "reply") -> None:
        """``what`` Hearth says (``reply``, ``announcement``, ``ring``) names a self-wake it causes."""
        if not text:
            return
        self._playing = what
        self._cancel.clear()
        self._set_state("speaking")
        run_id = run.run_id if run else ""
        played_s = 0.0
        t0 = self.clock()
        first = True
        for chunk in self.tts.synthesize(text, language):
            if self._cancel.is_set():
                break
            if first:
                ref = run.speech_end_wall if run and run.speech_end_wall is not None else t0
                first_ms = (self.clock() - ref) * 1000
                if run is not None:
                    run.timings_ms["tts_first"] = (self.clock() - t0) * 1000
                    run.timings_ms["eos_to_first_audio"] = first_ms
                self.bus.publish(SpeakingStarted(run_id=run_id, text=text, first_audio_ms=first_ms))
                first = False
            self.sink.write(chunk, self.tts.sample_rate)
            played_s += len(chunk) / self.tts.sample_rate
        drain = getattr(self.sink, "drain", None)
        while drain is not None and not self._cancel.is_set() and not drain(0.05):
            pass  # a real speaker plays in the background; cancel() can cut it short
        cancelled = self._cancel.is_set()
        self.bus.publish(SpeakingFinished(run_id=run_id, audio_s=played_s, cancelled=cancelled))
        if live:
            # Frames recorded while we spoke hold our own voice: never feed them to the wake word.
            # (Input that is not a live microphone holds no echo: its wake phrase in progress is kept.)
            self._suppress_until_s = self._t_s + played_s
            self.wake.reset()

    def _speak_announcements(self, live: bool, at_end: bool = False) -> None:
        """Speak what waits, only between runs: an announcement never cuts a reply in half."""
        if self._state != "idle" or not len(self._announcements):
            self._held_since_s = None
            return
        if self.activity.active and not at_end and not self.muted:
            # Someone is talking, perhaps saying the wake word: speaking now would drown it.
            if self._held_since_s is None:
                self._held_since_s = self._t_s
            if self._t_s - self._held_since_s < HOLD_ANNOUNCEMENT_MAX_S:
                return
        self._held_since_s = None
        while (a := self._announcements.take()) is not None:
            try:
                what = "ring" if a.source == "timer" else "announcement"
                self._speak(None, a.text, _language_of(a.text), live=live, what=what)
            except Exception as e:
                self._fail("announce", e)
            if a.listen and not at_end and not self._cancel.is_set():
                self._start_run()  # "ok" / "stop" needs no wake word
                return
            self._set_state("idle")

    def _fail(self, stage: str, e: Exception, run: _Run | None = None) -> None:
        code = e.code if isinstance(e, HearthError) else "internal_error"
        message = e.message if isinstance(e, HearthError) else f"{type(e).__name__}: {e}"
        log.error("%s failed: %s", stage, message, exc_info=not isinstance(e, HearthError))
        self.bus.publish(RunFailed(run_id=run.run_id if run else "", stage=stage, code=code, message=message))
        lang = self.cfg.general.language if self.cfg.general.language != "auto" else "en"
        try:
            self._speak(run, APOLOGY.get(lang, APOLOGY["en"]), lang, live=False)
        except Exception:
            log.exception("could not speak the apology")

    def _finish(self, run: _Run, keep_state: bool = False) -> None:
        run.timings_ms["total"] = (self.clock() - run.started_wall) * 1000
        self.bus.publish(RunFinished(run_id=run.run_id, timings_ms=dict(run.timings_ms)))
        if not keep_state:
            self._run = None
            self.wake.reset()
            self.preroll.clear()
            self._set_state("idle")

    def _set_state(self, state: str) -> None:
        if state != self._state:
            self._state = state
            self.bus.publish(StateChanged(run_id=self._run.run_id if self._run else "", state=state))


_CJK = re.compile(r"[\u3400-\u9fff]")


def _language_of(text: str) -> str:
    return "zh" if len(_CJK.findall(text)) > len(text) / 4 else "en"


def strip_wake_words(text: str, words: tuple[str, ...]) -> str:
    """Drop the wake phrase Whisper heard before the command ("Hey Jervis, turn on…" → "turn on…")."""
    text = text.strip()
    for w in words:
        stripped = boundary.strip_phrase(text, boundary.wake_tokens(w))
        if stripped is not None:
            return stripped
    return text
