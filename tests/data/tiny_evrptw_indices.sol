Route #1: 1 6 2 7
Route #2: S0 3 C4
Cost 20200
