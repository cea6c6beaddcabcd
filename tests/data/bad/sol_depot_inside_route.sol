Route #1: 1 5 0 4
Route #2: 3 2
