// UDP and TCP listeners in front of a Responder. (Contract; being implemented.)
export interface ListenAddress {
  address: string;
  port: number;
}
