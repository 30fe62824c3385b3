"""A closed-loop session and the folder it leaves behind (``docs/session-format.md``).

* ``folder``: ``SessionFolder`` — the folder, ``session.json`` written atomically, the
  check that the output folder is writable before a session starts.
* ``events``: ``EventLog`` — ``events.jsonl``, append-only, flushed after every event,
  fsynced every second by a writer thread; ``read_events`` reads it back, tolerating a
  crash's last line.
* ``runner`` (the control loop, a scheduler of ``stages``, ``tick`` and ``reporting``, on
  ``clock``'s session time), ``frames`` (the frame thread's one job), ``render_process``
  (the renderer process it runs in; ``process_frames``: the control side's handle on it),
  ``frameshare`` (what the two share, lock-free), ``core`` and ``handlers`` (the session's
  logic; ``decision``: its decision step; ``plan`` and ``snapshot``: its shape and what the
  console sees), ``command_spec`` (every command, once), ``launch`` (set-up and take-down).
* ``outlets``: ``VrexOutlets`` — vrex's own LSL streams (intensity, markers, events,
  features, head pose, frame times), which ``sensors.recorder.XdfRecorder`` records with
  the physiology into ``recording.xdf``.
"""
