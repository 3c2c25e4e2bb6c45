"""Faces: how people reach the studies on request (the what-if page; the CLI is sim/cli/).

Unlike a view, which only reads what a run recorded, a face asks the runner for
replications; it never touches an engine or the statistics itself.
"""
