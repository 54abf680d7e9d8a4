"""The pure orchestration engine: plain values in, plain values out, no ORM.

``rules`` makes the base decision, ``patterns`` analyses history,
``intelligence`` proposes and gates adjustments, ``schedule`` validates cron
expressions and names daily-scrum schedules.
"""
