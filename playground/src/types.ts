// The API's response bodies as the page uses them (lambdas/orchestrator/orchestrator/schemas/responses.json).

export interface UseCase {
  id: string;
  description: string;
  family: string;
  accepts_image: boolean;
  default_model: string;
  default_parameters: Partial<Parameters>;
  grounded?: boolean;
  knowledge_base?: string | null;
}

export interface Model {
  id: string;
  backend: "bedrock" | "sagemaker";
  max_tokens: number;
  temperature_max: number;
  top_k: boolean;
  top_k_max?: number | null;
  top_p: boolean;
  image: boolean;
  price_in_per_1k?: number;
  price_out_per_1k?: number;
  provider?: string;
}

export interface Parameters {
  max_new_tokens: number;
  sampling: "greedy" | "random";
  temperature: number | null;
  top_p: number | null;
  top_k: number | null;
  stop_sequences: string[] | null;
}

export interface Usage {
  input_tokens: number;
  output_tokens: number;
  estimated?: string[];
}

export interface Citation {
  n: number;
  source: string;
  score: number;
  excerpt: string;
}

export interface ErrorDetail {
  code: string;
  message: string;
  field?: string;
}

export interface KnowledgeBase {
  name: string;
  description: string;
}

export interface Catalog {
  useCases: UseCase[];
  models: Model[];
  knowledgeBases: KnowledgeBase[];
}
