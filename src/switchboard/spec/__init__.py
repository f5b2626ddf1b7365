"""The Segment Spec as code: call types, required fields, timestamps. Depends on nothing of ours."""
