"""A 17TRACK v2.2 carrier emulator for the demo, the tests and the benchmarks (see server.py)."""

from logistics.emulator.server import EmulatorHandle, start_emulator

__all__ = ["EmulatorHandle", "start_emulator"]
