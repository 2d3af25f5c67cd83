"""The console's dialogs: one kit every screen builds its dialogs from.

- ``base.Dialog``: a box in the middle of the screen over the dimmed section, styled by
  ``dialogs.tcss`` (every dialog of the console subclasses it).
- ``form.FormDialog``: fields in a ``widgets.record_form.RecordForm`` and what the form
  does when sent; a refusal from data/ is shown under the fields it concerns.
- ``confirm.ConfirmDialog``: a yes/no question before a step that cannot be taken back.
- ``reason.ReasonDialog``: one reason (and maybe a number of minutes), then one call.
"""
