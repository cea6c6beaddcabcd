Route #1: 1 5 4
Route #1: 3 2
