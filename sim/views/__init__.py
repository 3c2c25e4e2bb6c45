"""Views: figures, narration, animation, the HTML report, terminal tables and their wording.

Views read what a run recorded; they never run or re-derive the model.
"""
