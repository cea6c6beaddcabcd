Route #1: 1 5 4
Route #2:
Route #3: 3 2
