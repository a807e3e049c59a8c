"""Renderers for the published grid: HTML, iCal, CSV, JSON and frab schedule JSON."""
