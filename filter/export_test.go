package filter

// CheckNativePath is checkNativePath, for the external tests.
var CheckNativePath = checkNativePath
