"""Simulators of outside systems (terminals, BKN, SP4N-LAPOR!) for tests and the demo."""
