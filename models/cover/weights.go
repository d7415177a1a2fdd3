package cover

// DefaultModel is a placeholder until models/cover/train writes the fitted model.
var DefaultModel = Model{}
