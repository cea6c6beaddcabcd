Route #1: C1 S7 C2
Route #2: C3 C4
