-- One range per call: NEXTVAL is the range's first counter; the range is [v, v + step).
SELECT NEXTVAL({table})
